import { ClickHouseServerError } from '@vigil/store';

/** True when a later attempt may succeed: a ClickHouse server that is down or overloaded, anywhere in the cause chain. */
export function isRetryableStoreError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ClickHouseServerError) return e.retryable;
  }
  return false;
}

/** initial·2^(attempt-1) capped at max, ±20 % so restarted exporters do not retry in step. */
export function retryDelayMs(attempt: number, initialMs = 250, maxMs = 10_000): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}
