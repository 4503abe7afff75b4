import { InvalidArgumentError, Option, type Command } from 'commander';
import { resolveDataDir } from '../all-in-one/data-dir';
import { processAlive, readEndpoint } from '../all-in-one/endpoint-file';
import { CliError, EXIT } from '../exit-codes';
import { adminTokenFile, resolveToken } from '../grpc/policy-target';
import { withSpinner } from '../grpc/wait-spinner';
import { formatSummary, summarize, type PolicyEngineSummary, type RawAnswers } from './status-summary';

type Json = Record<string, unknown>;

interface StatusOptions {
  url?: string;
  dataDir?: string;
  output: 'text' | 'json';
  timeout: number;
  token?: string;
  tokenFile?: string;
}

type Answer = { ok: true; status: number; body: Json | undefined } | { ok: false; timeout: boolean; cause: string };

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 1) throw new InvalidArgumentError('expected milliseconds, a positive integer');
  return ms;
}

async function get(url: string, timeoutMs: number, token?: string): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { ok: false, timeout: e.name === 'TimeoutError', cause: e.cause?.code ?? e.cause?.message ?? e.message };
  }
  const text = await res.text();
  let body: Json | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Json;
  } catch {
    body = undefined;
  }
  return { ok: true, status: res.status, body };
}

/** The endpoint to ask: --url (VIGIL_STATUS_URL), else the local `vigil run` of the data directory. */
function baseUrl(flag: string | undefined, dataDir: string): { url: string; local: boolean } {
  if (flag) {
    try {
      return { url: new URL(flag).href.replace(/\/+$/, ''), local: false };
    } catch {
      throw new CliError(`--url: not a URL: '${flag}' (e.g. http://127.0.0.1:8080)`, EXIT.usage);
    }
  }
  const local = readEndpoint(dataDir);
  if (!local)
    throw new CliError(
      `nothing answers: no vigil run found for ${dataDir} (no run.json there); start \`vigil run\`, or pass --data-dir or --url`,
      EXIT.unavailable,
    );
  if (!processAlive(local.pid))
    throw new CliError(`nothing answers: vigil run (pid ${local.pid}) of ${dataDir} is not running`, EXIT.unavailable);
  return { url: local.url.replace(/\/+$/, ''), local: true };
}

/**
 * The policy engine's per-node view through its REST API: every policy the token sees, and the
 * nodes reporting on it. Best effort: without a token, or refused, a note says why.
 */
async function policyEngineNodes(
  base: string,
  token: string | undefined,
  timeoutMs: number,
): Promise<PolicyEngineSummary> {
  if (!token) return { note: 'nodes reporting: needs a token (--token-file, --token or VIGIL_TOKEN)' };
  const list = await get(`${base}/policies`, timeoutMs, token);
  if (!list.ok) return { note: `nodes reporting: GET /policies: ${list.timeout ? 'timed out' : list.cause}` };
  if (list.status !== 200)
    return {
      note: `nodes reporting: GET /policies: HTTP ${list.status}${typeof list.body?.['message'] === 'string' ? ` ${list.body['message']}` : ''}`,
    };
  const ids = ((list.body?.['policies'] ?? []) as Json[]).map((p) => String(p['id']));
  const reports = await Promise.all(
    ids.map(async (id) => ({
      id,
      answer: await get(`${base}/policies/${encodeURIComponent(id)}/status`, timeoutMs, token),
    })),
  );
  const nodes = new Set<string>();
  let loaded = 0;
  const failed: Array<{ policy: string; node: string; error: string }> = [];
  for (const { id, answer } of reports) {
    if (!answer.ok || answer.status !== 200) continue;
    for (const n of (answer.body?.['nodes'] ?? []) as Json[]) {
      const node = String(n['node'] ?? '');
      nodes.add(node);
      if (n['state'] === 'POLICY_STATE_LOADED') loaded++;
      if (n['state'] === 'POLICY_STATE_ERROR' || n['state'] === 'POLICY_STATE_UNSUPPORTED')
        failed.push({ policy: id, node, error: String(n['error'] ?? '') });
    }
  }
  return { nodesReporting: [...nodes].sort(), loaded, failed };
}

/**
 * `vigil status`: is Vigil up, and is it keeping up? The local `vigil run` (or any service's
 * --url): readiness per service, the node(s), events through each stage, drops by kind, lag,
 * policies, the exporter's store and the policy engine's nodes.
 */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('services, nodes, events, drops and lag of the local vigil run (or any Vigil service: --url)')
    .addOption(
      new Option(
        '--url <url>',
        'base URL of `vigil run` or of one service (default: the local vigil run, from <data dir>/run.json)',
      ).env('VIGIL_STATUS_URL'),
    )
    .option('--data-dir <dir>', 'data directory of the local `vigil run` (VIGIL_DATA_DIR; default /var/lib/vigil)')
    .addOption(
      new Option('-o, --output <format>', 'text (a summary), or json (the summary and every raw counter)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addOption(
      new Option('--token <token>', "the policy API's bearer token, for the nodes reporting").env('VIGIL_TOKEN'),
    )
    .option('--token-file <file>', 'file holding that token (default for the local vigil run: <data dir>/admin-token)')
    .addOption(
      new Option('--timeout <ms>', 'give up on an endpoint after this long').argParser(parseTimeout).default(10_000),
    )
    .addHelpText(
      'after',
      `
What it reads: GET /healthz (which services), /readyz (their checks) and /status (their counters)
of the address, and — with a token — the policy API's per-node statuses (GET /policies/:id/status).
The summary:
  services   each service's readiness, failing checks named
  nodes      the collector's node, and the nodes reporting to the policy engine
  events     kernel → published → enriched → exporter consumed → stored
  drops      kernel lost (ring buffer full, by kind), user space (reader → JS), pipeline
             (undecodable, failed, hook gone), JSON export, bus/spool (per topic or consumer),
             enricher publish, gRPC streams (where the status reports them)
  lag        held and not yet handed on: transport buffer, spool, enricher, exporter backlog
  policies   loaded on the node (by state); exporter inserted and dead letters; policy engine
             policies, nodes reporting, loaded and failed

Examples:
  vigil status
  vigil status -o json | jq '.drops'
  vigil status --url http://exporter.example:8080            one service of a fleet
  until vigil status >/dev/null 2>&1; do sleep 1; done        wait until everything is ready

Exit codes:
  0  every service is ready
  1  something is not ready (named on stderr), the address is not a Vigil service, or it timed out
  2  usage: bad command line
  4  nothing answers: no vigil run, connection refused`,
    )
    .action(async (opts: StatusOptions, cmd: Command) => {
      const dataDir = resolveDataDir(opts.dataDir);
      const { url, local } = baseUrl(opts.url, dataDir);
      const [healthz, readyz, status] = await withSpinner(
        `asking ${url}`,
        Promise.all(['healthz', 'readyz', 'status'].map((p) => get(`${url}/${p}`, opts.timeout))),
      );
      if (!healthz!.ok) {
        if (healthz!.timeout)
          throw new CliError(`${url}: no answer within ${opts.timeout} ms (--timeout)`, EXIT.failure);
        throw new CliError(`nothing answers at ${url} (${healthz!.cause})`, EXIT.unavailable);
      }
      if (healthz!.status !== 200 || typeof healthz!.body?.['service'] !== 'string')
        throw new CliError(
          `${url}: not a Vigil service (GET /healthz: HTTP ${healthz!.status}); --url is the base address of vigil run or of a service`,
          EXIT.failure,
        );
      const raw: RawAnswers = {
        url,
        healthz: healthz!.body,
        ...(readyz!.ok && readyz!.body ? { readyz: readyz!.body } : {}),
        ...(status!.ok && status!.status === 200 && status!.body ? { status: status!.body } : {}),
      };
      const serviceNames = Array.isArray(raw.healthz['services'])
        ? (raw.healthz['services'] as string[])
        : [raw.healthz['service']];
      let engine: PolicyEngineSummary | undefined;
      if (serviceNames.includes('policy-engine')) {
        let token: string | undefined;
        let note: string | undefined;
        try {
          token = resolveToken(
            { token: opts.token, tokenFromEnv: cmd.getOptionValueSource('token') === 'env', tokenFile: opts.tokenFile },
            local ? adminTokenFile(dataDir) : undefined,
          );
        } catch (e) {
          // The default token file is a convenience: not readable (not root) is a note, not a failure.
          if (opts.tokenFile || opts.token) throw e;
          note = `nodes reporting: ${(e as Error).message}`;
        }
        engine = note ? { note } : await policyEngineNodes(url, token, opts.timeout);
      }
      const summary = summarize(raw, engine);
      process.stdout.write(opts.output === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
      if (!readyz!.ok)
        throw new CliError(`${url}/readyz: ${readyz!.timeout ? 'timed out' : readyz!.cause}`, EXIT.failure);
      if (!summary.ready) {
        const failing = summary.services
          .filter((s) => !s.ready)
          .map(
            (s) =>
              `${s.name} (${Object.entries(s.checks)
                .filter(([, ok]) => !ok)
                .map(([c]) => c)
                .join(', ')})`,
          );
        throw new CliError(
          `not ready: ${failing.join('; ') || `GET /readyz answered ${readyz!.status}`}`,
          EXIT.failure,
        );
      }
    });
}
