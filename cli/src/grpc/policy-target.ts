import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_TOKEN_FILE } from '../all-in-one/admin-token';
import { processAlive, readEndpoint } from '../all-in-one/endpoint-file';
import { CliError, EXIT } from '../exit-codes';

/** A standalone collector's default address of this node's Tetragon API (collector.grpcAddress). */
export const STANDALONE_NODE_ADDRESS = 'unix:///var/run/vigil/vigil.sock';

/** Where a gRPC call goes, and how the address was found (said again when nothing answers there). */
export interface GrpcTarget {
  address: string;
  /** "--server-address", "run.json of /var/lib/vigil", "the standalone collector's default", ... */
  source: string;
  /** True when the address is the local `vigil run`'s (its admin token is the default). */
  local: boolean;
}

/**
 * This node's Tetragon API (FineGuidanceSensors of the collector): --server-address (or
 * VIGIL_SERVER_ADDRESS) as given; else the local `vigil run` of the data directory (run.json,
 * grpc.node); else the standalone collector's default socket.
 */
export function nodeTarget(flag: string | undefined, dataDir: string, given = '--server-address'): GrpcTarget {
  if (flag) return { address: checkAddress(flag, given), source: given, local: false };
  const run = runningEndpoint(dataDir);
  if (run) {
    if (!run.grpc)
      throw new CliError(
        `the vigil run of ${dataDir} (pid ${run.pid}) records no gRPC addresses in run.json (an older version?): restart it, or pass --server-address`,
        EXIT.unavailable,
      );
    if (!run.grpc.node)
      throw new CliError(
        `the vigil run of ${dataDir} serves no node API (collector.grpcAddress is empty): pass --server-address`,
        EXIT.unavailable,
      );
    return { address: run.grpc.node, source: `the vigil run of ${dataDir} (run.json)`, local: true };
  }
  return {
    address: STANDALONE_NODE_ADDRESS,
    source: `the standalone collector's default (no vigil run found for ${dataDir})`,
    local: false,
  };
}

/**
 * The fleet's Tetragon API (FineGuidanceSensors of the exporter): --server-address as given, else
 * the local `vigil run` of the data directory (run.json, grpc.fleet: its enriched events).
 */
export function fleetEventsTarget(flag: string | undefined, dataDir: string, given = '--server-address'): GrpcTarget {
  if (flag) return { address: checkAddress(flag, given), source: given, local: false };
  const run = runningEndpoint(dataDir);
  if (!run?.grpc?.fleet)
    throw new CliError(
      `no fleet API address: no running vigil run for ${dataDir} serving one (run.json); pass --server-address <exporter host:port>`,
      EXIT.unavailable,
    );
  return { address: run.grpc.fleet, source: `the vigil run of ${dataDir} (run.json)`, local: true };
}

/**
 * The policy engine's vigil.v1.PolicyService: --policy-engine (or VIGIL_POLICY_ENGINE_ADDRESS) as
 * given, else the local `vigil run` of the data directory (run.json, grpc.policies).
 */
export function fleetTarget(flag: string | undefined, dataDir: string, given = '--policy-engine'): GrpcTarget {
  if (flag) return { address: checkAddress(flag, given), source: given, local: false };
  const run = runningEndpoint(dataDir);
  if (!run)
    throw new CliError(
      `no policy engine address: no running vigil run for ${dataDir} (run.json); pass --policy-engine <host:port> or start \`vigil run\``,
      EXIT.unavailable,
    );
  if (!run.grpc?.policies)
    throw new CliError(
      `the vigil run of ${dataDir} (pid ${run.pid}) records no policy engine gRPC address in run.json: pass --policy-engine`,
      EXIT.unavailable,
    );
  return { address: run.grpc.policies, source: `the vigil run of ${dataDir} (run.json)`, local: true };
}

export interface TokenOptions {
  /** --token, or VIGIL_TOKEN (tokenFromEnv says which). */
  token?: string;
  tokenFromEnv?: boolean;
  tokenFile?: string;
}

/**
 * The bearer token to send: --token, else --token-file, else VIGIL_TOKEN, else — for the local
 * `vigil run`'s policy engine — its admin token file (<data dir>/admin-token). Undefined when
 * there is none: the server then says what it misses (UNAUTHENTICATED), and the CLI adds a hint.
 */
export function resolveToken(o: TokenOptions, defaultFile?: string): string | undefined {
  if (o.token && !o.tokenFromEnv) return nonEmpty(o.token, '--token');
  if (o.tokenFile) return readToken(o.tokenFile, '--token-file', EXIT.usage);
  if (o.token) return nonEmpty(o.token, 'VIGIL_TOKEN');
  if (defaultFile && fs.existsSync(defaultFile)) return readToken(defaultFile, 'the admin token', EXIT.failure);
  return undefined;
}

/** <data dir>/admin-token: the local `vigil run`'s policy API token. */
export function adminTokenFile(dataDir: string): string {
  return path.join(dataDir, ADMIN_TOKEN_FILE);
}

function readToken(file: string, what: string, exitCode: typeof EXIT.usage | typeof EXIT.failure): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'EACCES' ? ' (it is readable by its owner only: run as the user of vigil run, usually root)' : '';
    throw new CliError(`${what} ${file}: cannot read it (${code ?? (err as Error).message})${hint}`, exitCode);
  }
  return nonEmpty(text.trim(), `${what} ${file}`);
}

function nonEmpty(token: string, what: string): string {
  if (token === '' || /\s/.test(token))
    throw new CliError(`${what}: expected one token without whitespace`, EXIT.usage);
  return token;
}

/** unix:<path> / unix:///<path> or host:port ([v6]:port); anything else is a usage error, not a DNS lookup. */
function checkAddress(address: string, flag: string): string {
  if (/^unix:(\/\/)?\S+$/.test(address) || /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(address))
    return address;
  throw new CliError(`${flag}: not a gRPC address: '${address}' (host:port, or unix:///path/to.sock)`, EXIT.usage);
}

function runningEndpoint(dataDir: string) {
  const run = readEndpoint(dataDir);
  return run && processAlive(run.pid) ? run : undefined;
}
