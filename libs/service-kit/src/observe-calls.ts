/** One finished call of an observed method. */
export interface CallObservation<F extends (...args: never[]) => Promise<unknown>> {
  args: Parameters<F>;
  /** Wall time from the call to its settlement. */
  seconds: number;
  /** The resolved value, or the rejection. */
  outcome: { ok: true; value: Awaited<ReturnType<F>> } | { ok: false; error: unknown };
}

type AsyncMethodKeys<T> = {
  [P in keyof T]: T[P] extends (...args: never[]) => Promise<unknown> ? P : never;
}[keyof T];

/**
 * Replaces an async method of ONE object (not its class) by a wrapper that calls the original and
 * then tells `observer` how long it took, with its arguments and outcome; the caller sees the same
 * result or rejection. How the services time the domain objects they hold (the exporter's store
 * writes, the enricher's batches, the policy log's commands) without framework code in libs/* or
 * edits to the domain classes. Works for callers that look the method up at call time
 * (`obj.method(...)`, `(b) => obj.method(b)`), not for a reference taken before the wrap. An
 * observer that throws is ignored: metrics never break the data path.
 */
export function observeCalls<T extends object, K extends AsyncMethodKeys<T>>(
  target: T,
  method: K,
  observer: (call: CallObservation<Extract<T[K], (...args: never[]) => Promise<unknown>>>) => void,
): void {
  type F = Extract<T[K], (...args: never[]) => Promise<unknown>>;
  const original = (target[method] as F).bind(target) as unknown as (
    ...args: Parameters<F>
  ) => Promise<Awaited<ReturnType<F>>>;
  const notify = (call: CallObservation<F>): void => {
    try {
      observer(call);
    } catch {
      // A metric must not fail the call it observes.
    }
  };
  const wrapped = async (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> => {
    const start = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
    try {
      const value = await original(...args);
      notify({ args, seconds: seconds(), outcome: { ok: true, value } });
      return value;
    } catch (error) {
      notify({ args, seconds: seconds(), outcome: { ok: false, error } });
      throw error;
    }
  };
  (target as Record<K, unknown>)[method] = wrapped;
}
