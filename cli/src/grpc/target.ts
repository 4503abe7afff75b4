import type { ServiceError } from '@grpc/grpc-js';
import { RpcStatus } from '@vigil/rpc';
import { processAlive, readEndpoint } from '../all-in-one/endpoint-file';
import { CliError, EXIT } from '../exit-codes';

/** A standalone collector's default address (collector.grpcAddress). */
export const COLLECTOR_DEFAULT_ADDRESS = 'unix:///var/run/vigil/vigil.sock';

/**
 * Where Tetragon's API answers: --server-address as given; else the local `vigil run` of the data
 * directory (run.json: its node's or, with fleet, its exporter's socket); else — this node only —
 * a standalone collector's default socket.
 */
export function sensorsAddress(flag: string | undefined, dataDir: string, fleet: boolean): string {
  if (flag) return flag;
  const local = readEndpoint(dataDir);
  const running = local && processAlive(local.pid) ? local : undefined;
  const found = fleet ? running?.grpc?.fleet : running?.grpc?.node;
  if (found) return found;
  if (!fleet) return COLLECTOR_DEFAULT_ADDRESS;
  throw new CliError(
    `no fleet API known: no running vigil run for ${dataDir}; pass --server-address <exporter address>`,
    EXIT.unavailable,
  );
}

/** A failed call as the CLI reports it: the server's reason, and an exit code scripts can act on. */
export function rpcFailure(e: unknown, address: string): Error {
  const error = e as Partial<ServiceError>;
  if (typeof error.code !== 'number') return e instanceof Error ? e : new Error(String(e));
  const details = error.details || error.message || 'failed';
  switch (error.code) {
    case RpcStatus.UNAVAILABLE:
      return new CliError(`nothing answers at ${address}: ${details}`, EXIT.unavailable);
    case RpcStatus.INVALID_ARGUMENT:
    case RpcStatus.NOT_FOUND:
    case RpcStatus.ALREADY_EXISTS:
    case RpcStatus.FAILED_PRECONDITION:
    case RpcStatus.UNIMPLEMENTED:
      return new CliError(details, EXIT.usage);
    case RpcStatus.UNAUTHENTICATED:
    case RpcStatus.PERMISSION_DENIED:
      return new CliError(`${details} (pass --token or set VIGIL_TOKEN)`, EXIT.failure);
    default:
      return new CliError(`${address}: ${details}`, EXIT.failure);
  }
}
