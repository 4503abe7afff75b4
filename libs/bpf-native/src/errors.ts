/**
 * Errors thrown by the addon: a plain Error with the errno of the failing libbpf/kernel
 * call, its symbolic code and what libbpf logged about it (verifier output included).
 */
export interface BpfError extends Error {
  /** Positive errno, e.g. 1 for EPERM. */
  errno: number;
  /** Symbolic errno, e.g. 'EPERM', 'ENOENT'. */
  code: string;
  /** The operation that failed, e.g. 'bpf_object__load(/path/x.bpf.o)'. */
  op: string;
  /** libbpf's warnings for that call (last lines), possibly empty. */
  libbpfLog: string;
}

export function isBpfError(e: unknown): e is BpfError {
  return (
    e instanceof Error &&
    typeof (e as Partial<BpfError>).errno === 'number' &&
    typeof (e as Partial<BpfError>).code === 'string'
  );
}
