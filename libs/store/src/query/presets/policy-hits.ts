/** Policy hits over time: hook events per policy per time bucket. */
import { timestampFromEpochNs } from '@vigil/events';
import { ENFORCEMENT_ACTIONS, HOOK_EVENT_TYPES } from '../../row/event-row';
import type { QueryRunner } from '../dialect';
import { timeRangeSql, type TimeRange } from '../time-range';
import { asBigInt, asNumber, asString } from '../values';

export interface PolicyHitsParams extends TimeRange {
  /** One policy; every policy when omitted. */
  policy?: string;
  /** Bucket width in seconds (buckets start at multiples of it since the epoch). */
  bucketSeconds: number;
}

export interface PolicyHitRow {
  bucket_start: string;
  policy_name: string;
  hits: number;
  /** Of the hits, how many enforced (Sigkill, Signal, Override, NotifyEnforcer). */
  enforced: number;
}

/** Sorted by bucket, then policy name. Empty buckets are not returned. */
export async function policyHits(runner: QueryRunner, params: PolicyHitsParams): Promise<PolicyHitRow[]> {
  const { bucketSeconds } = params;
  if (!Number.isSafeInteger(bucketSeconds) || bucketSeconds < 1)
    throw new RangeError(`policyHits: bucketSeconds must be a positive integer, got ${bucketSeconds}`);
  const bucketNs = BigInt(bucketSeconds) * 1_000_000_000n;
  const rows = await runner.query(
    (d) => `SELECT ${d.intDiv('time_ns', d.value(bucketNs))} AS bucket, policy_name, count(*) AS hits,
  sum(CASE WHEN action IN ${d.list(ENFORCEMENT_ACTIONS)} THEN 1 ELSE 0 END) AS enforced
FROM ${d.events}
WHERE event_type IN ${d.list(HOOK_EVENT_TYPES)} AND policy_name != ${d.value('')} AND ${timeRangeSql(d, params)}${
      params.policy === undefined ? '' : ` AND policy_name = ${d.value(params.policy)}`
    }
GROUP BY bucket, policy_name
ORDER BY bucket ASC, policy_name ASC`,
  );
  return rows.map((r) => ({
    bucket_start: timestampFromEpochNs(asBigInt(r, 'bucket') * bucketNs),
    policy_name: asString(r, 'policy_name'),
    hits: asNumber(r, 'hits'),
    enforced: asNumber(r, 'enforced'),
  }));
}
