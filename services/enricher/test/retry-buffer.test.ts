import { describe, expect, it } from 'vitest';
import { RetryBuffer } from '../src/domain/retry-buffer';

function buffer(maxSize = 10, maxWaitMs = 100) {
  const clock = { t: 0 };
  const b = new RetryBuffer<string>({ maxSize, maxWaitMs, now: () => clock.t });
  return { b, clock };
}

describe('RetryBuffer', () => {
  it('releases per key from the front only while ready: a key keeps its order', () => {
    const { b } = buffer();
    b.hold('k1', 'a1');
    b.hold('k1', 'a2');
    b.hold('k2', 'b1');
    const ready = new Set(['a2', 'b1']);
    // a2 is ready but a1 is not: a2 must not overtake it.
    expect(b.release((x) => ready.has(x)).map((h) => h.item)).toEqual(['b1']);
    expect(b.waiting('k1')).toBe(true);
    ready.add('a1');
    expect(b.release((x) => ready.has(x)).map((h) => h.item)).toEqual(['a1', 'a2']);
    expect(b.size).toBe(0);
    expect(b.waiting('k1')).toBe(false);
  });

  it('evicts the oldest when full, which is always the first of its key', () => {
    const { b } = buffer(2);
    expect(b.hold('k1', 'a1')).toEqual([]);
    b.hold('k2', 'b1');
    const evicted = b.hold('k1', 'a2');
    expect(evicted.map((h) => h.item)).toEqual(['a1']);
    expect(b.size).toBe(2);
    expect(b.release(() => true).map((h) => h.item)).toEqual(['b1', 'a2']);
  });

  it('expires items that waited maxWaitMs, oldest first, leaving newer ones', () => {
    const { b, clock } = buffer(10, 100);
    b.hold('k1', 'a1');
    clock.t = 50;
    b.hold('k1', 'a2');
    b.hold('k2', 'b1');
    clock.t = 99;
    expect(b.expired()).toEqual([]);
    clock.t = 100;
    expect(b.expired().map((h) => h.item)).toEqual(['a1']);
    expect(b.waiting('k1')).toBe(true);
    clock.t = 150;
    expect(b.expired().map((h) => h.item)).toEqual(['a2', 'b1']);
    expect(b.size).toBe(0);
  });

  it('drains everything in arrival order', () => {
    const { b } = buffer();
    b.hold('k2', 'b1');
    b.hold('k1', 'a1');
    b.hold('k2', 'b2');
    expect(b.drain().map((h) => h.item)).toEqual(['b1', 'a1', 'b2']);
    expect(b.size).toBe(0);
  });
});
