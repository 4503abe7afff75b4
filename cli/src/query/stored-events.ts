import type { GetEventsResponse } from '@vigil/events';
import { CliError, EXIT } from '../exit-codes';

/**
 * The exporter's stored events from `since` (RFC 3339, or a duration before now: 30s, 15m, 24h),
 * oldest first: GET <base>/events/export, Tetragon's JSON export as NDJSON, read as it arrives.
 * Failures become CliErrors with the exit codes of `vigil query` (2 rejected, 4 unavailable).
 */
export async function* storedEvents(
  base: string,
  since: string,
  signal?: AbortSignal,
): AsyncGenerator<GetEventsResponse> {
  const url = new URL(`${base.replace(/\/+$/, '')}/events/export`);
  url.searchParams.set('since', since);
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { accept: 'application/x-ndjson' } });
  } catch (err) {
    if (signal?.aborted) return;
    const e = err as Error & { cause?: { code?: string } };
    throw new CliError(
      `${url.origin}: cannot connect (${e.cause?.code ?? e.message}); is vigil run (or the exporter) running?`,
      EXIT.unavailable,
    );
  }
  if (!res.ok) {
    const text = await res.text();
    let message = text.slice(0, 300);
    try {
      const body = JSON.parse(text) as { message?: unknown; problems?: Array<{ parameter?: string; reason?: string }> };
      if (body.problems?.length) message = body.problems.map((p) => `--${p.parameter}: ${p.reason}`).join('; ');
      else if (typeof body.message === 'string') message = body.message;
    } catch {
      // not JSON: the text as it is
    }
    throw new CliError(
      `stored events: ${message}`,
      res.status === 400 ? EXIT.usage : res.status === 503 ? EXIT.unavailable : EXIT.failure,
    );
  }
  if (!res.body) return;
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) yield JSON.parse(line) as GetEventsResponse;
  }
  if (rest.trim()) yield JSON.parse(rest) as GetEventsResponse;
}

/** What identifies one event across the store and a live stream (the seam between them). */
export function eventIdentity(e: GetEventsResponse): string {
  const [kind, body] = Object.entries(e).find(([k]) => k.startsWith('process_')) ?? ['', undefined];
  const process = (body as { process?: { exec_id?: string } } | undefined)?.process;
  return `${kind}|${process?.exec_id ?? ''}|${e.time ?? ''}`;
}
