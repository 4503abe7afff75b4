import { describe, expect, it } from 'vitest';
import { ParameterError, QueryParams } from '../src/query-params';

const NOW = BigInt(Date.UTC(2026, 10, 28, 12, 0, 0)) * 1_000_000n;

function problems(run: (p: QueryParams) => void, query: Record<string, unknown>) {
  const p = new QueryParams(query, NOW);
  try {
    run(p);
    p.done();
  } catch (err) {
    if (err instanceof ParameterError) return err.problems;
    throw err;
  }
  return [];
}

describe('QueryParams', () => {
  it('reads RFC 3339 timestamps with ns and durations before now', () => {
    const p = new QueryParams({ since: '2026-11-28T10:00:00.000000001Z', until: '1h' }, NOW);
    expect(p.timeRange()).toEqual({
      since: BigInt(Date.UTC(2026, 10, 28, 10)) * 1_000_000n + 1n,
      until: NOW - 3_600_000_000_000n,
    });
    p.done();
  });

  it('reports every problem at once, each with the parameter and why', () => {
    const found = problems(
      (p) => {
        p.timeRange();
        p.optionalInt('limit', 1, 100);
        p.requiredString('binary');
      },
      { since: 'yesterday', limit: '0', namspace: 'shop' },
    );
    expect(found).toEqual([
      {
        parameter: 'since',
        reason:
          'expected an RFC 3339 timestamp (2026-11-28T10:00:00Z) or a duration before now (30s, 15m, 24h, 7d), got "yesterday"',
      },
      { parameter: 'limit', reason: 'expected an integer in [1, 100], got 0' },
      { parameter: 'binary', reason: 'required' },
      { parameter: 'namspace', reason: 'unknown parameter (accepted: since, until, limit, binary)' },
    ]);
  });

  it('refuses until before since, repeated parameters, non-integers and empty required strings', () => {
    expect(problems((p) => p.timeRange(), { since: '1h', until: '2h' })).toEqual([
      { parameter: 'until', reason: '2026-11-28T10:00:00Z is before since (2026-11-28T11:00:00Z)' },
    ]);
    expect(problems((p) => p.timeRange(), { since: ['1h', '2h'] })).toEqual([
      { parameter: 'since', reason: 'given 2 times; give it once' },
    ]);
    expect(problems((p) => p.optionalInt('limit', 1, 10), { limit: '2.5' })).toEqual([
      { parameter: 'limit', reason: 'expected an integer in [1, 10], got "2.5"' },
    ]);
    expect(problems((p) => p.requiredString('execId'), { execId: '' })).toEqual([
      { parameter: 'execId', reason: 'must not be empty' },
    ]);
    expect(problems((p) => p.timeRange(), {})[0]).toMatchObject({ parameter: 'since', reason: /^required: / });
  });

  it('keeps an empty optional string (namespace= means outside any pod)', () => {
    const p = new QueryParams({ namespace: '' }, NOW);
    expect(p.optionalString('namespace')).toBe('');
    p.done();
  });
});
