/**
 * ClickHouse failures, classified. The writer retries what a later attempt can fix (server down,
 * overloaded, network cut) and hands everything else (bad SQL, bad data) back to the caller.
 * ClickHouse 18.16's errors are text ("Code: 60, e.displayText() = DB::Exception: …"), newer ones
 * carry the same "Code: N" prefix, so the code is read from the text in both.
 */

/** Server error codes a retry can outlive (ErrorCodes.cpp names). */
const RETRYABLE_CODES = new Map<number, string>([
  [159, 'TIMEOUT_EXCEEDED'],
  [164, 'READONLY'],
  [202, 'TOO_MANY_SIMULTANEOUS_QUERIES'],
  [203, 'NO_FREE_CONNECTION'],
  [209, 'SOCKET_TIMEOUT'],
  [210, 'NETWORK_ERROR'],
  [241, 'MEMORY_LIMIT_EXCEEDED'],
  [242, 'TABLE_IS_READ_ONLY'],
  [252, 'TOO_MANY_PARTS'],
  [319, 'UNKNOWN_STATUS_OF_INSERT'],
  [425, 'SYSTEM_ERROR'],
]);

/** Node socket errors that mean "the server is not reachable right now". */
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

export class ClickHouseServerError extends Error {
  constructor(
    message: string,
    /** ClickHouse's error code when the server answered, undefined for network failures. */
    readonly code: number | undefined,
    /** True when the same request may succeed later (server down, overloaded, network). */
    readonly retryable: boolean,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'ClickHouseServerError';
  }
}

export function classifyClickHouseError(err: unknown, what: string): ClickHouseServerError {
  if (err instanceof ClickHouseServerError) return err;
  const text = err instanceof Error ? err.message : String(err);
  const codeMatch = /Code: (\d+)/.exec(text) ?? undefined;
  const clientCode = (err as { code?: unknown } | null)?.code;
  const code = codeMatch
    ? Number(codeMatch[1])
    : typeof clientCode === 'string' && /^\d+$/.test(clientCode)
      ? Number(clientCode)
      : undefined;
  const firstLine = text.split('\n')[0]!.slice(0, 500);
  if (code !== undefined) {
    const retryName = RETRYABLE_CODES.get(code);
    return new ClickHouseServerError(
      `${what}: ClickHouse error ${code}${retryName ? ` (${retryName})` : ''}: ${firstLine}`,
      code,
      retryName !== undefined,
      err,
    );
  }
  const errno = typeof clientCode === 'string' ? clientCode : undefined;
  const network =
    (errno !== undefined && NETWORK_ERRNOS.has(errno)) ||
    /socket hang up|timeout|ECONNREFUSED|ECONNRESET|other side closed|EPIPE/i.test(text);
  return new ClickHouseServerError(
    `${what}: ${network ? 'server unreachable' : 'request failed'}${errno ? ` (${errno})` : ''}: ${firstLine}`,
    undefined,
    network,
    err,
  );
}
