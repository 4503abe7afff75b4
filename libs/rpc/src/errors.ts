import { status } from '@grpc/grpc-js';

export { status as RpcStatus };

/** An error a handler means to return to the caller with a gRPC status code. */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** The status a thrown error becomes: RpcError keeps its code, anything else is INTERNAL. */
export function toServiceError(error: unknown): { code: status; details: string } {
  if (error instanceof RpcError) return { code: error.code, details: error.message };
  return { code: status.INTERNAL, details: error instanceof Error ? error.message : String(error) };
}
