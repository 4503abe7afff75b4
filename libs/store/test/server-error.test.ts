import { describe, expect, it } from 'vitest';
import { classifyClickHouseError } from '../src';
import { backoffDelay } from '../src/clickhouse/backoff';

describe('classifyClickHouseError', () => {
  it('reads the code from 18.16-style text and retries only what can pass later', () => {
    const bad = classifyClickHouseError(
      new Error("Code: 60, e.displayText() = DB::Exception: Table x.y doesn't exist."),
      'q',
    );
    expect(bad).toMatchObject({ code: 60, retryable: false });
    expect(bad.message).toBe(
      "q: ClickHouse error 60: Code: 60, e.displayText() = DB::Exception: Table x.y doesn't exist.",
    );
    expect(classifyClickHouseError(new Error('Code: 252. DB::Exception: Too many parts'), 'q')).toMatchObject({
      code: 252,
      retryable: true,
    });
  });

  it('treats socket failures as "server unreachable", retryable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifyClickHouseError(refused, 'insert')).toMatchObject({ code: undefined, retryable: true });
    expect(classifyClickHouseError(refused, 'insert').message).toBe(
      'insert: server unreachable (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(classifyClickHouseError(new Error('socket hang up'), 'q').retryable).toBe(true);
    expect(classifyClickHouseError(new Error('something else'), 'q').retryable).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, with ±20 % jitter', () => {
    const opts = { initialDelayMs: 200, maxDelayMs: 5_000 };
    expect([1, 2, 3, 4, 5, 6, 50].map((a) => backoffDelay(a, opts, () => 0.5))).toEqual([
      200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
    expect(backoffDelay(1, opts, () => 0)).toBe(160);
    expect(backoffDelay(1, opts, () => 1)).toBe(240);
  });
});
