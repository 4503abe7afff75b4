import { fmt, median } from '../report';

/**
 * Runs every mode once per round, the order rotated each round so drift on the shared machine
 * (other sessions' load) does not always favour the mode that runs first. Returns each mode's
 * results in round order.
 */
export async function rotatingRounds<M extends string, R>(
  rounds: number,
  modes: readonly M[],
  run: (mode: M, round: number) => Promise<R>,
): Promise<Record<M, R[]>> {
  const out = Object.fromEntries(modes.map((m) => [m, [] as R[]])) as Record<M, R[]>;
  for (let round = 0; round < rounds; round++)
    for (let i = 0; i < modes.length; i++) {
      const mode = modes[(i + round) % modes.length]!;
      out[mode].push(await run(mode, round));
    }
  return out;
}

/** Per-round ratios of `values` to `baseline` (same round), their median and their list. */
export function roundRatios(values: number[], baseline: number[]): { median: number; list: string } {
  const ratios = values.map((v, i) => v / baseline[i]!);
  return { median: median(ratios), list: ratios.map(fmtRatio).join(', ') };
}

/** Two decimals, or two significant digits below 0.1 (an in-process bus is ~1000× Kafka: 0.00 would hide it). */
export const fmtRatio = (r: number) => (r >= 0.1 ? fmt(r, 2) : r.toPrecision(2));

export const seconds = (startMs: number) => (performance.now() - startMs) / 1000;

export async function waitFor(what: string, done: () => boolean, timeoutMs: number, stepMs = 5): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
