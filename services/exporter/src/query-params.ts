/**
 * HTTP query parameters → typed preset parameters, with every problem named: which parameter
 * and why. Reading a parameter marks it known; what is left over is an unknown parameter (a typo
 * such as `namspace=` must not silently widen a query).
 */
import { epochNsFromTimestamp, timestampFromEpochNs } from '@vigil/events';

export interface ParameterProblem {
  parameter: string;
  reason: string;
}

export class ParameterError extends Error {
  constructor(readonly problems: ParameterProblem[]) {
    super(problems.map((p) => `${p.parameter}: ${p.reason}`).join('; '));
    this.name = 'ParameterError';
  }
}

/** "30s", "15m", "24h", "7d": that long before now. */
const AGO = /^(\d{1,9})(s|m|h|d)$/;
const UNIT_NS: Record<string, bigint> = {
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

const INVALID = Symbol('invalid parameter');

export const TIME_FORMS = 'an RFC 3339 timestamp (2026-11-28T10:00:00Z) or a duration before now (30s, 15m, 24h, 7d)';

export class QueryParams {
  private readonly known = new Set<string>();
  private readonly problems: ParameterProblem[] = [];

  constructor(
    private readonly query: Record<string, unknown>,
    private readonly nowNs: bigint = BigInt(Date.now()) * 1_000_000n,
  ) {}

  /** A non-empty string. */
  requiredString(name: string): string {
    const v = this.raw(name);
    if (v === undefined) this.problem(name, 'required');
    else if (v === '') this.problem(name, 'must not be empty');
    return typeof v === 'string' ? v : '';
  }

  /** Any string, '' included (e.g. namespace= selects processes outside any pod). */
  optionalString(name: string): string | undefined {
    const v = this.raw(name);
    return typeof v === 'string' ? v : undefined;
  }

  requiredTime(name: string): bigint {
    const v = this.raw(name);
    if (v === undefined) this.problem(name, `required: ${TIME_FORMS}`);
    return (typeof v === 'string' ? this.time(name, v) : undefined) ?? 0n;
  }

  optionalTime(name: string): bigint | undefined {
    const v = this.raw(name);
    return typeof v === 'string' ? this.time(name, v) : undefined;
  }

  optionalInt(name: string, min: number, max: number): number | undefined {
    const v = this.raw(name);
    if (typeof v !== 'string') return undefined;
    if (!/^-?\d{1,16}$/.test(v)) {
      this.problem(name, `expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
      return undefined;
    }
    const n = Number(v);
    if (n < min || n > max) {
      this.problem(name, `expected an integer in [${min}, ${max}], got ${n}`);
      return undefined;
    }
    return n;
  }

  /** [since, until): until before since is a problem of `until`. */
  timeRange(): { since: bigint; until?: bigint } {
    const since = this.requiredTime('since');
    const until = this.optionalTime('until');
    if (until !== undefined && this.problems.every((p) => p.parameter !== 'since') && until < since)
      this.problem('until', `${timestampFromEpochNs(until)} is before since (${timestampFromEpochNs(since)})`);
    return until === undefined ? { since } : { since, until };
  }

  /** Throws every problem at once, unknown parameters included. */
  done(): void {
    for (const name of Object.keys(this.query)) {
      if (this.known.has(name)) continue;
      const accepted = [...this.known].join(', ') || 'none';
      this.problem(name, `unknown parameter (accepted: ${accepted})`);
    }
    if (this.problems.length > 0) throw new ParameterError(this.problems);
  }

  /** The value; undefined when absent; INVALID when present but not one string (already reported). */
  private raw(name: string): string | undefined | typeof INVALID {
    this.known.add(name);
    const v = this.query[name];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) {
      this.problem(name, `given ${v.length} times; give it once`);
      return INVALID;
    }
    if (typeof v !== 'string') {
      this.problem(name, 'expected a single value');
      return INVALID;
    }
    return v;
  }

  private time(name: string, v: string): bigint | undefined {
    const ago = AGO.exec(v);
    if (ago) return this.nowNs - BigInt(ago[1]!) * UNIT_NS[ago[2]!]!;
    const ns = epochNsFromTimestamp(v);
    if (ns === undefined) this.problem(name, `expected ${TIME_FORMS}, got ${JSON.stringify(v)}`);
    return ns;
  }

  private problem(parameter: string, reason: string): void {
    this.problems.push({ parameter, reason });
  }
}
