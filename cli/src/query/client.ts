import { CliError, EXIT } from '../exit-codes';

export interface PresetAnswer {
  preset: string;
  result: unknown;
}

interface ErrorBody {
  message?: unknown;
  problems?: Array<{ parameter?: unknown; reason?: unknown }>;
}

/**
 * GET <base>/queries/<preset>?<params> on an exporter (the fleet's, or the all-in-one's
 * <url>/exporter). Every way it can go wrong becomes a CliError with the exit code scripts
 * branch on: 2 for a query the exporter rejected (bad parameter, unknown preset), 4 for nothing
 * answering or a store not ready yet (retry), 1 for anything else.
 */
export async function runPresetQuery(
  base: string,
  preset: string,
  params: Record<string, string>,
  timeoutMs: number,
): Promise<PresetAnswer> {
  const url = new URL(`${base.replace(/\/+$/, '')}/queries/${encodeURIComponent(preset)}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError')
      throw new CliError(`${url.origin}: no answer within ${timeoutMs} ms (--timeout)`, EXIT.failure);
    throw new CliError(
      `${url.origin}: cannot connect (${e.cause?.code ?? e.cause?.message ?? e.message}); is vigil run (or the exporter) running?`,
      EXIT.unavailable,
    );
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliError(`${url.href}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`, EXIT.failure);
  }
  if (res.ok) {
    if (typeof body === 'object' && body !== null && 'result' in body) return body as PresetAnswer;
    throw new CliError(`${url.href}: HTTP ${res.status} without a result: ${text.slice(0, 200)}`, EXIT.failure);
  }
  const err = (typeof body === 'object' && body !== null ? body : {}) as ErrorBody;
  const message = typeof err.message === 'string' ? err.message : text.slice(0, 200);
  if (res.status === 400) throw new CliError(`${preset}: ${message}`, EXIT.usage);
  // The exporter says which presets exist; any other 404 is a URL that is not an exporter.
  if (res.status === 404 && message.startsWith('no preset')) throw new CliError(message, EXIT.usage);
  if (res.status === 404)
    throw new CliError(
      `${url.href}: not found — --url must be the exporter's base URL (vigil run: <its address>/exporter)`,
      EXIT.failure,
    );
  if (res.status === 503) throw new CliError(`${preset}: ${message} (retry shortly)`, EXIT.unavailable);
  throw new CliError(`${preset}: HTTP ${res.status}: ${message}`, EXIT.failure);
}
