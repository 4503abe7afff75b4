import { RpcStatus } from '@vigil/rpc';
import { CliError, EXIT, type ExitCode } from '../exit-codes';
import type { GrpcTarget } from './policy-target';

/** A failed gRPC call as grpc-js rejects it (ServiceError), read structurally. */
interface CallError {
  code: number;
  details?: string;
  message?: string;
}

export interface FailureContext {
  target: GrpcTarget;
  /** The policy file of the call: the server's "<Request>.yaml:line:col" locations are rewritten to it. */
  yamlFile?: string;
  timeoutMs?: number;
  /** The token options that apply (for the UNAUTHENTICATED/PERMISSION_DENIED hint). */
  tokenHint: string;
}

/**
 * The exit code of each gRPC status (`vigil tracingpolicy --help` repeats this):
 *   2  the request: INVALID_ARGUMENT (a bad policy, with file:line:col), NOT_FOUND, ALREADY_EXISTS,
 *      RESOURCE_EXHAUSTED (policy too large), OUT_OF_RANGE — changing the command line fixes it
 *   4  UNAVAILABLE: nothing answers (connection refused, no socket) or the server is not ready
 *      yet (policy engine replaying, kernel probe pending) — worth retrying as it is
 *   1  everything else: UNAUTHENTICATED and PERMISSION_DENIED (with a hint about the token),
 *      FAILED_PRECONDITION (the node refused in its state: the kernel did not load the policy, or
 *      the policy belongs to the policy engine), UNIMPLEMENTED, DEADLINE_EXCEEDED, INTERNAL, ...
 */
export function exitCodeOf(code: number): ExitCode {
  switch (code) {
    case RpcStatus.INVALID_ARGUMENT:
    case RpcStatus.NOT_FOUND:
    case RpcStatus.ALREADY_EXISTS:
    case RpcStatus.RESOURCE_EXHAUSTED:
    case RpcStatus.OUT_OF_RANGE:
      return EXIT.usage;
    case RpcStatus.UNAVAILABLE:
      return EXIT.unavailable;
    default:
      return EXIT.failure;
  }
}

/** The file names the servers give a request's YAML in their diagnostics. */
const SERVER_YAML_NAMES = /^(AddTracingPolicy|ApplyPolicyRequest)\.yaml(?=:\d)/gm;

/**
 * A rejected call as the CLI reports it: the server's details (every problem, one per line),
 * an exit code from exitCodeOf, and a hint where one helps. Anything that is not a gRPC status
 * (a bug, a thrown TypeError) is returned as it is.
 */
export function rpcFailure(error: unknown, ctx: FailureContext): Error {
  if (!isCallError(error)) return error instanceof Error ? error : new Error(String(error));
  const { address, source } = ctx.target;
  const name = RpcStatus[error.code] ?? `status ${error.code}`;
  let details = (error.details || error.message || name).trim();
  if (ctx.yamlFile) details = details.replace(SERVER_YAML_NAMES, ctx.yamlFile);
  switch (error.code) {
    case RpcStatus.UNAVAILABLE: {
      const cause = connectionCause(details);
      if (cause === undefined) return new CliError(`${address}: ${details} (retry shortly)`, EXIT.unavailable);
      if (/\bEACCES\b/.test(cause))
        return new CliError(
          `${address}: ${cause} — the socket is for root only: run as root (sudo), or pass --server-address`,
          EXIT.failure,
        );
      return new CliError(`nothing answers at ${address} (${source}): ${cause}`, EXIT.unavailable);
    }
    case RpcStatus.UNAUTHENTICATED:
    case RpcStatus.PERMISSION_DENIED:
      return new CliError(`${address}: ${name}: ${details}\nhint: ${ctx.tokenHint}`, EXIT.failure);
    case RpcStatus.DEADLINE_EXCEEDED:
      return new CliError(`${address}: no answer within ${ctx.timeoutMs ?? '?'} ms (--timeout)`, EXIT.failure);
    case RpcStatus.UNIMPLEMENTED:
      return new CliError(`${address}: ${details} (UNIMPLEMENTED: is this the right server?)`, EXIT.failure);
    default:
      return new CliError(multiLine(details, name), exitCodeOf(error.code));
  }
}

function isCallError(e: unknown): e is CallError {
  return typeof e === 'object' && e !== null && typeof (e as CallError).code === 'number' && 'details' in e;
}

/**
 * Why grpc-js could not connect ("connect ECONNREFUSED 127.0.0.1:1"), or undefined when the
 * server itself answered UNAVAILABLE (not ready yet).
 */
function connectionCause(details: string): string | undefined {
  const m = /^No connection established\. Last error: (?:Error: )?(.*?)(?:\. Resolution note:.*)?$/s.exec(details);
  if (m) return m[1]!.trim();
  if (/^Name resolution failed/.test(details) || /^(Connection dropped|Failed to connect)/.test(details))
    return details;
  return undefined;
}

/** Several problems: the status name on the first line, then one problem a line. */
function multiLine(details: string, name: string): string {
  const lines = details.split('\n');
  return lines.length > 1 ? `${name}: ${lines.join('\n  ')}` : `${name}: ${details}`;
}
