/**
 * Process tree of an exec_id: its ancestors (by parent_exec_id, up to the first one not stored)
 * and all its descendants, from the stored exec and exit events.
 *
 * Walked level by level with one query per level instead of a recursive query: ClickHouse 18.16
 * has no recursive CTEs, and the same walk over both stores gives the same answer by
 * construction. Ancestors are not read from the events' ancestors lists because collectors fill
 * those only when asked (Tetragon's --enable-process-ancestors); parent_exec_id is always there.
 */
import { timestampFromEpochNs } from '@vigil/events';
import type { QueryRunner, ResultRow } from '../dialect';
import { asBigInt, asNumber, asString } from '../values';

export interface ProcessTreeParams {
  execId: string;
  /** Levels walked up and down. Default 64. */
  maxDepth?: number;
  /** Descendants at most (a fork bomb's tree is not worth a million rows). Default 10,000. */
  maxDescendants?: number;
}

export interface ProcessTreeNode {
  exec_id: string;
  parent_exec_id: string;
  relation: 'ancestor' | 'self' | 'descendant';
  /** 0 = the asked process, -1 its parent, 1 its children, … */
  depth: number;
  node_name: string;
  pid: number;
  binary: string;
  arguments: string;
  namespace: string;
  pod_name: string;
  /** Exec time, null when only the exit (or only a child's reference) is stored. */
  started: string | null;
  exited: string | null;
  exit_code: number | null;
  exit_signal: string | null;
  /** False for an ancestor known only from its child's parent fields. */
  stored: boolean;
}

export interface ProcessTree {
  exec_id: string;
  /** Sorted by depth, then start time (unknown first), then exec_id. Empty when not stored. */
  nodes: ProcessTreeNode[];
  /** True when maxDepth or maxDescendants cut the walk short. */
  truncated: boolean;
}

const COLUMNS =
  'exec_id, parent_exec_id, event_type, time_ns, event_id, node_name, pid, process_binary, arguments, pod_namespace, pod_name, exit_code, exit_signal, parent_binary, parent_pid';
/** Ids per IN list: keeps DuckDB's parameter count and ClickHouse's query size bounded. */
const CHUNK = 500;

interface ProcessRecord {
  node: Omit<ProcessTreeNode, 'relation' | 'depth'>;
  startedNs: bigint | undefined;
  parentBinary: string;
  parentPid: number;
}

export async function processTree(runner: QueryRunner, params: ProcessTreeParams): Promise<ProcessTree> {
  const maxDepth = params.maxDepth ?? 64;
  const maxDescendants = params.maxDescendants ?? 10_000;
  const self = (await recordsWhere(runner, 'exec_id', [params.execId])).get(params.execId);
  if (!self) return { exec_id: params.execId, nodes: [], truncated: false };
  const out: Array<{ record: ProcessRecord; relation: ProcessTreeNode['relation']; depth: number }> = [
    { record: self, relation: 'self', depth: 0 },
  ];
  const seen = new Set([params.execId]);
  let truncated = false;

  // Up: one parent per level.
  let child = self;
  for (let depth = -1; child.node.parent_exec_id && !seen.has(child.node.parent_exec_id); depth--) {
    if (-depth > maxDepth) {
      truncated = true;
      break;
    }
    const parentId = child.node.parent_exec_id;
    seen.add(parentId);
    const parent = (await recordsWhere(runner, 'exec_id', [parentId])).get(parentId);
    if (!parent) {
      out.push({ record: referencedOnly(parentId, child), relation: 'ancestor', depth });
      break;
    }
    out.push({ record: parent, relation: 'ancestor', depth });
    child = parent;
  }

  // Down: all children of a level per query.
  let frontier = [params.execId];
  let descendants = 0;
  for (let depth = 1; frontier.length > 0; depth++) {
    if (depth > maxDepth) {
      truncated = true;
      break;
    }
    const children = [...(await recordsWhere(runner, 'parent_exec_id', frontier)).values()]
      .filter((r) => !seen.has(r.node.exec_id))
      .sort(byStartThenId);
    frontier = [];
    for (const record of children) {
      if (descendants === maxDescendants) {
        truncated = true;
        break;
      }
      seen.add(record.node.exec_id);
      out.push({ record, relation: 'descendant', depth });
      frontier.push(record.node.exec_id);
      descendants++;
    }
  }

  const nodes = out
    .sort((a, b) => a.depth - b.depth || byStartThenId(a.record, b.record))
    .map(({ record, relation, depth }) => ({ ...record.node, relation, depth }));
  return { exec_id: params.execId, nodes, truncated };
}

function byStartThenId(a: ProcessRecord, b: ProcessRecord): number {
  const sa = a.startedNs ?? -1n;
  const sb = b.startedNs ?? -1n;
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.node.exec_id < b.node.exec_id ? -1 : a.node.exec_id > b.node.exec_id ? 1 : 0;
}

/** Processes (from their exec and exit rows) whose `column` is one of `ids`. */
async function recordsWhere(
  runner: QueryRunner,
  column: 'exec_id' | 'parent_exec_id',
  ids: readonly string[],
): Promise<Map<string, ProcessRecord>> {
  const rows: ResultRow[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    rows.push(
      ...(await runner.query(
        (d) => `SELECT ${COLUMNS} FROM ${d.events}
WHERE event_type IN ${d.list(['process_exec', 'process_exit'])} AND ${column} IN ${d.list(chunk)}
ORDER BY exec_id ASC, time_ns ASC, event_id ASC`,
      )),
    );
  }
  const byId = new Map<string, ProcessRecord>();
  for (const row of rows) {
    const id = asString(row, 'exec_id');
    const record = byId.get(id) ?? fromRow(row);
    if (asString(row, 'event_type') === 'process_exec') {
      // A re-seeded process may have two execs: the first one is its start.
      record.startedNs ??= asBigInt(row, 'time_ns');
      record.node.started ??= timestampFromEpochNs(asBigInt(row, 'time_ns'));
    } else {
      record.node.exited = timestampFromEpochNs(asBigInt(row, 'time_ns'));
      record.node.exit_code = asNumber(row, 'exit_code');
      record.node.exit_signal = asString(row, 'exit_signal');
    }
    byId.set(id, record);
  }
  return byId;
}

function fromRow(row: ResultRow): ProcessRecord {
  return {
    node: {
      exec_id: asString(row, 'exec_id'),
      parent_exec_id: asString(row, 'parent_exec_id'),
      node_name: asString(row, 'node_name'),
      pid: asNumber(row, 'pid'),
      binary: asString(row, 'process_binary'),
      arguments: asString(row, 'arguments'),
      namespace: asString(row, 'pod_namespace'),
      pod_name: asString(row, 'pod_name'),
      started: null,
      exited: null,
      exit_code: null,
      exit_signal: null,
      stored: true,
    },
    startedNs: undefined,
    parentBinary: asString(row, 'parent_binary'),
    parentPid: asNumber(row, 'parent_pid'),
  };
}

/** An ancestor with no stored exec/exit: what its child's event said about it. */
function referencedOnly(execId: string, child: ProcessRecord): ProcessRecord {
  return {
    node: {
      exec_id: execId,
      parent_exec_id: '',
      node_name: child.node.node_name,
      pid: child.parentPid,
      binary: child.parentBinary,
      arguments: '',
      namespace: '',
      pod_name: '',
      started: null,
      exited: null,
      exit_code: null,
      exit_signal: null,
      stored: false,
    },
    startedNs: undefined,
    parentBinary: '',
    parentPid: 0,
  };
}
