import fs from 'node:fs';
import path from 'node:path';

/**
 * `<dataDir>/run.json`: where a running `vigil run` answers. The HTTP port is free-picked by
 * default (http.port 0), so `vigil query` finds the local all-in-one through this file.
 */
export const ENDPOINT_FILE = 'run.json';

export interface RunEndpoint {
  /** Base URL of the all-in-one HTTP server, e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  startedAt: string;
  /** The gRPC APIs' addresses ("" when one is disabled): this node's and the fleet's Tetragon API, the policy engine's. */
  grpc?: { node: string; fleet: string; policies: string };
}

export function writeEndpoint(dataDir: string, endpoint: RunEndpoint): string {
  const file = path.join(dataDir, ENDPOINT_FILE);
  // Written whole then renamed, so a concurrent `vigil query` never reads half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(endpoint)}\n`, { mode: 0o644 });
  fs.renameSync(tmp, file);
  return file;
}

/** Removes the file if it still names this process (another `vigil run` may have replaced it). */
export function removeEndpoint(dataDir: string, pid = process.pid): void {
  const file = path.join(dataDir, ENDPOINT_FILE);
  if (readEndpoint(dataDir)?.pid === pid) fs.rmSync(file, { force: true });
}

/** The endpoint file's content, or undefined when there is none or it is not one. */
export function readEndpoint(dataDir: string): RunEndpoint | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, ENDPOINT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<RunEndpoint>;
    if (typeof value.url === 'string' && typeof value.pid === 'number' && typeof value.startedAt === 'string')
      return {
        url: value.url,
        pid: value.pid,
        startedAt: value.startedAt,
        ...(isGrpc(value.grpc) ? { grpc: value.grpc } : {}),
      };
  } catch {
    // fall through: a torn or foreign file counts as none
  }
  return undefined;
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isGrpc(v: unknown): v is RunEndpoint['grpc'] {
  if (typeof v !== 'object' || v === null) return false;
  const g = v as Record<string, unknown>;
  return typeof g['node'] === 'string' && typeof g['fleet'] === 'string' && typeof g['policies'] === 'string';
}
