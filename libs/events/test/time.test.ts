import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BootClock } from '../src/boot-clock';
import { epochNsFromTimestamp, timestampFromEpochNs } from '../src/timestamp';

describe('Timestamp (protojson form)', () => {
  it('prints 0, 3, 6 or 9 fractional digits, whichever is exact', () => {
    const s = 1_700_000_000n * 1_000_000_000n;
    expect(timestampFromEpochNs(s)).toBe('2023-11-14T22:13:20Z');
    expect(timestampFromEpochNs(s + 120_000_000n)).toBe('2023-11-14T22:13:20.120Z');
    expect(timestampFromEpochNs(s + 120_400_000n)).toBe('2023-11-14T22:13:20.120400Z');
    expect(timestampFromEpochNs(s + 7n)).toBe('2023-11-14T22:13:20.000000007Z');
  });

  it('round-trips through epochNsFromTimestamp', () => {
    const ns = 1_712_345_678_901_234_567n;
    expect(epochNsFromTimestamp(timestampFromEpochNs(ns))).toBe(ns);
    expect(epochNsFromTimestamp('2024-01-01T01:00:00.5+01:00')).toBe(1_704_067_200_500_000_000n);
    expect(epochNsFromTimestamp('yesterday')).toBeUndefined();
  });
});

/** CLOCK_BOOTTIME start of a process, from /proc/<pid>/stat field 22 (clock ticks, 100 Hz). */
function startKtime(pid: number): bigint {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return BigInt(fields[19] as string) * 10_000_000n;
}

describe('BootClock', () => {
  it('maps "now" in boot time to now in wall-clock time', () => {
    const clock = BootClock.calibrate();
    const wall = clock.toEpochNs(clock.nowBootNs());
    expect(Number(wall / 1_000_000n - BigInt(Date.now()))).toBeGreaterThanOrEqual(-5);
    expect(Number(wall / 1_000_000n - BigInt(Date.now()))).toBeLessThanOrEqual(5);
  });

  it('agrees with the kernel: a process spawned now has a start_time of now (within one 10 ms tick)', async () => {
    const clock = BootClock.calibrate();
    const before = BigInt(Date.now()) * 1_000_000n;
    const child = spawn('sleep', ['5']);
    await new Promise((r) => child.once('spawn', r));
    const after = BigInt(Date.now()) * 1_000_000n;
    try {
      const started = clock.toEpochNs(startKtime(child.pid as number));
      // /proc floors the start to a 10 ms tick; Date.now() has 1 ms resolution.
      expect(started).toBeGreaterThanOrEqual(before - 12_000_000n);
      expect(started).toBeLessThanOrEqual(after + 2_000_000n);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('adds suspend time when /proc/uptime runs ahead of the monotonic clock', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bootclock-'));
    const uptime = path.join(dir, 'uptime');
    const monoSec = Number(process.hrtime.bigint() / 1_000_000_000n);
    writeFileSync(uptime, `${monoSec + 3600}.00 0.00\n`); // one hour asleep
    const clock = BootClock.calibrate({ uptimePath: uptime });
    expect(clock.details.method).toBe('monotonic+uptime');
    const suspendSec = Number(clock.details.suspendNs / 1_000_000_000n);
    expect(suspendSec).toBeGreaterThanOrEqual(3598);
    expect(suspendSec).toBeLessThanOrEqual(3600);
    expect(BootClock.calibrate().details.method).toBe('monotonic'); // this VM never slept
  });

  it('does not hang when Date.now() is frozen (fake timers)', () => {
    vi.useFakeTimers();
    try {
      expect(BootClock.calibrate().offsetNs).toBeGreaterThan(0n);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fromOffset is a plain offset', () => {
    expect(BootClock.fromOffset(1_000_000_000n).toTimestamp(500_000_000n)).toBe('1970-01-01T00:00:01.500Z');
  });
});
