/**
 * Kernel ktime (CLOCK_BOOTTIME ns, bpf_ktime_get_boot_ns and /proc/<pid>/stat starttime) →
 * wall-clock Timestamp.
 *
 * Node has no CLOCK_BOOTTIME reading, so the offset realtime − boottime is computed once:
 * - boottime = CLOCK_MONOTONIC (process.hrtime.bigint(), ns) + time spent suspended. Monotonic
 *   and boottime start together at boot and differ only by suspend time, which /proc/uptime
 *   (boottime, 10 ms resolution) reveals: when uptime − monotonic is within one uptime tick the
 *   machine never slept and monotonic is used exactly (ns); otherwise the measured gap is added,
 *   good to ±5 ms. (Reading /proc/uptime alone would cap accuracy at 10 ms.)
 * - realtime = Date.now(), which has 1 ms resolution; calibration spins until it ticks over so
 *   the pairing is taken right at a millisecond edge: offset accuracy ≈ a few µs, not ±0.5 ms.
 * Tetragon instead reads CLOCK_BOOTTIME and time.Now() per event (pkg/ktime); a fixed offset
 * drifts when NTP slews or steps the clock or the machine suspends after calibration, so
 * long-running callers should call recalibrate() now and then (it costs ≤ ~3 ms of spinning).
 * The collector must run in the host time namespace (it must anyway to load BPF programs).
 */
import { readFileSync } from 'node:fs';
import type { Timestamp } from './tetragon';
import { timestampFromEpochNs } from './timestamp';

const UPTIME_TICK_NS = 10_000_000n;

export interface BootClockCalibration {
  /** realtime − boottime, ns. */
  offsetNs: bigint;
  /** Estimated time spent suspended (boottime − monotonic) at calibration, ns. */
  suspendNs: bigint;
  /** How the boottime reading was obtained: exact monotonic, or monotonic + /proc/uptime gap. */
  method: 'monotonic' | 'monotonic+uptime';
}

export interface BootClockOptions {
  /** Where to read boottime seconds from (tests point this at a fake file). */
  uptimePath?: string;
}

export class BootClock {
  private calibration: BootClockCalibration;

  private constructor(
    calibration: BootClockCalibration,
    private readonly options: BootClockOptions,
  ) {
    this.calibration = calibration;
  }

  /** Measure the offset on this machine now. */
  static calibrate(options: BootClockOptions = {}): BootClock {
    return new BootClock(measure(options), options);
  }

  /** A clock with a known offset (replay, tests, or another node's calibration). */
  static fromOffset(offsetNs: bigint): BootClock {
    return new BootClock({ offsetNs, suspendNs: 0n, method: 'monotonic' }, {});
  }

  get offsetNs(): bigint {
    return this.calibration.offsetNs;
  }

  get details(): Readonly<BootClockCalibration> {
    return this.calibration;
  }

  /** Measure again (after suspend, or periodically against NTP drift). */
  recalibrate(): void {
    this.calibration = measure(this.options);
  }

  /** Wall-clock ns since the epoch for a CLOCK_BOOTTIME ktime. */
  toEpochNs(ktime: bigint): bigint {
    return ktime + this.calibration.offsetNs;
  }

  toTimestamp(ktime: bigint): Timestamp {
    return timestampFromEpochNs(this.toEpochNs(ktime));
  }

  /** The current CLOCK_BOOTTIME reading, estimated from monotonic + suspend time at calibration. */
  nowBootNs(): bigint {
    return process.hrtime.bigint() + this.calibration.suspendNs;
  }
}

function measure(options: BootClockOptions): BootClockCalibration {
  const { suspendNs, method } = measureSuspend(options.uptimePath ?? '/proc/uptime');
  // Three millisecond edges; the median discards one scheduling hiccup.
  const offsets = [edgeOffset(), edgeOffset(), edgeOffset()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const realMinusMono = offsets[1] as bigint;
  return { offsetNs: realMinusMono - suspendNs, suspendNs, method };
}

/**
 * realtime − monotonic, sampled right after Date.now() ticks to a new millisecond. The spin is
 * bounded by a count, not a clock, so frozen clocks (fake timers in a test freeze both
 * Date.now and hrtime) cannot hang the caller; the result is then only good to 1 ms.
 * 200,000 reads cover a millisecond many times over even on a slow VM.
 */
function edgeOffset(): bigint {
  const start = Date.now();
  let now = start;
  let mono = process.hrtime.bigint();
  for (let spins = 0; now === start && spins < 200_000; spins++) {
    now = Date.now();
    mono = process.hrtime.bigint();
  }
  return BigInt(now) * 1_000_000n - mono;
}

function measureSuspend(uptimePath: string): Pick<BootClockCalibration, 'suspendNs' | 'method'> {
  let uptimeText: string;
  try {
    uptimeText = readFileSync(uptimePath, 'utf8');
  } catch {
    return { suspendNs: 0n, method: 'monotonic' }; // no /proc: assume no suspend
  }
  const mono = process.hrtime.bigint();
  const m = /^(\d+)\.(\d{2})\s/.exec(uptimeText);
  if (!m || m[1] === undefined || m[2] === undefined) return { suspendNs: 0n, method: 'monotonic' };
  const uptimeNs = BigInt(m[1]) * 1_000_000_000n + BigInt(m[2]) * UPTIME_TICK_NS;
  // uptime is boottime floored to 10 ms and read just before `mono`: with no suspend,
  // uptime − mono lies in (−10 ms − read latency, 0]. Allow a second tick for slow reads.
  // A gap far below zero cannot be suspend time (e.g. a time namespace offsets one clock only):
  // fall back to monotonic rather than apply a negative correction.
  const gap = uptimeNs - mono;
  if (gap < UPTIME_TICK_NS) return { suspendNs: 0n, method: 'monotonic' };
  return { suspendNs: gap + UPTIME_TICK_NS / 2n, method: 'monotonic+uptime' };
}
