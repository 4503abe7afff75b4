/** The presets and the export over one store: what ClickHouseEventStore and DuckDbEventStore share. */
import type { Writable } from 'node:stream';
import type { QueryRunner } from './dialect';
import { exportEventLines, exportEventsNdjson, type ExportParams } from './export-json';
import { connectionsByPod, type ConnectionRow, type ConnectionsByPodParams } from './presets/connections';
import { enforcementByWorkload, type EnforcementRow } from './presets/enforcement';
import { firstSeen, type FirstSeenRow } from './presets/first-seen';
import { policyHits, type PolicyHitRow, type PolicyHitsParams } from './presets/policy-hits';
import { processTree, type ProcessTree, type ProcessTreeParams } from './presets/process-tree';
import { topBinaries, type TopBinariesParams, type TopBinaryRow } from './presets/top-binaries';
import { timeRangeSql, type TimeRange } from './time-range';
import { asNumber } from './values';

/** Every store answers these the same way (same SQL through its dialect, same result shapes). */
export abstract class EventQueries {
  protected abstract readonly runner: QueryRunner;

  processTree(params: ProcessTreeParams): Promise<ProcessTree> {
    return processTree(this.runner, params);
  }

  topBinaries(params: TopBinariesParams): Promise<TopBinaryRow[]> {
    return topBinaries(this.runner, params);
  }

  firstSeen(binary: string): Promise<FirstSeenRow | undefined> {
    return firstSeen(this.runner, binary);
  }

  policyHits(params: PolicyHitsParams): Promise<PolicyHitRow[]> {
    return policyHits(this.runner, params);
  }

  enforcementByWorkload(range: TimeRange): Promise<EnforcementRow[]> {
    return enforcementByWorkload(this.runner, range);
  }

  connectionsByPod(params: ConnectionsByPodParams): Promise<ConnectionRow[]> {
    return connectionsByPod(this.runner, params);
  }

  /** Stored events of the range as JSON lines (without newline), in (time, event_id) order. */
  exportLines(params: ExportParams): AsyncGenerator<string> {
    return exportEventLines(this.runner, params);
  }

  /** Newline-delimited Tetragon JSON of the range to `out`; resolves with the event count. */
  exportNdjson(params: ExportParams, out: Writable): Promise<number> {
    return exportEventsNdjson(this.runner, params, out);
  }

  /** Distinct stored events (copies collapsed), optionally of a time range. */
  async countEvents(range?: TimeRange): Promise<number> {
    const [row] = await this.runner.query(
      (d) => `SELECT count(*) AS n FROM ${d.events}${range ? ` WHERE ${timeRangeSql(d, range)}` : ''}`,
    );
    if (!row) throw new Error('countEvents: the count query returned no row');
    return asNumber(row, 'n');
  }
}
