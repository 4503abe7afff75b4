import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEventStore } from '../src';
import { at, exec, fleetEvents, P3, P4 } from './fixtures/fleet';
import {
  ALL,
  CONNECTIONS,
  ENFORCEMENT,
  EVENT_COUNT,
  FIRST_CURL,
  POLICY_HITS_HOURLY,
  TOP_BINARIES_LIMIT_2,
  TOP_BINARIES_SHOP,
  TREE_OF_P3,
} from './fixtures/fleet-expected';

describe('DuckDbEventStore', () => {
  let store: DuckDbEventStore;

  beforeAll(async () => {
    store = await DuckDbEventStore.open();
    // Every event delivered twice, the second time in two overlapping batches: at-least-once.
    const events = fleetEvents();
    await store.write(events);
    await store.write(events.slice(0, 12));
    await store.write([...events.slice(5), ...events.slice(5)]);
  });
  afterAll(() => store.close());

  it('keeps one row per event however often it was written', async () => {
    expect(await store.countEvents()).toBe(EVENT_COUNT);
    expect(await store.sql('SELECT count(*) AS n FROM vigil_events')).toEqual([{ n: BigInt(EVENT_COUNT) }]);
    expect(await store.countEvents({ since: at(86_400) })).toBe(3);
  });

  it('answers every preset on the seeded fleet', async () => {
    expect(await store.topBinaries({ ...ALL, limit: 2 })).toEqual(TOP_BINARIES_LIMIT_2);
    expect(await store.topBinaries({ ...ALL, namespace: 'shop' })).toEqual(TOP_BINARIES_SHOP);
    expect(await store.firstSeen('/usr/bin/curl')).toEqual(FIRST_CURL);
    expect(await store.firstSeen('/usr/bin/nope')).toBeUndefined();
    expect(await store.processTree({ execId: P3.exec_id! })).toEqual({
      exec_id: P3.exec_id,
      nodes: TREE_OF_P3,
      truncated: false,
    });
    expect(await store.policyHits({ ...ALL, bucketSeconds: 3600 })).toEqual(POLICY_HITS_HOURLY);
    expect(await store.policyHits({ ...ALL, bucketSeconds: 3600, policy: 'syscalls' })).toEqual(
      POLICY_HITS_HOURLY.filter((r) => r.policy_name === 'syscalls'),
    );
    expect(await store.enforcementByWorkload(ALL)).toEqual(ENFORCEMENT);
    expect(await store.connectionsByPod(ALL)).toEqual(CONNECTIONS);
  });

  it('cuts a process tree at maxDepth and says so', async () => {
    const tree = await store.processTree({ execId: P3.exec_id!, maxDepth: 1 });
    expect(tree.truncated).toBe(true);
    expect(tree.nodes.map((n) => n.depth)).toEqual([-1, 0, 1, 1, 1]);
    expect(await store.processTree({ execId: 'bm8tc3VjaA==' })).toEqual({
      exec_id: 'bm8tc3VjaA==',
      nodes: [],
      truncated: false,
    });
  });

  it('exports the range as the events received, in time order, across pages', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const count = await store.exportNdjson({ ...ALL, pageSize: 3 }, out);
    const lines = chunks.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(count).toBe(EVENT_COUNT);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(fleetEvents());
    const firstHour = [];
    for await (const line of store.exportLines({ since: at(0), until: at(3600), pageSize: 4 })) firstHour.push(line);
    expect(firstHour).toHaveLength(13);
  });

  it('returns events that cannot be rows and stores the rest', async () => {
    const result = await store.write([exec(P4, 20), { node_name: 'x' } as never]);
    expect(result).toEqual({
      written: 1,
      rejected: [
        {
          index: 1,
          reason:
            'no event payload (expected one of process_exec, process_exit, process_kprobe, process_tracepoint, process_uprobe, process_lsm, process_loader)',
        },
      ],
    });
    expect(await store.countEvents()).toBe(EVENT_COUNT);
  });
});

describe('DuckDbEventStore in a file', () => {
  it('keeps the events and the schema across a reopen', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-store-'));
    try {
      const file = path.join(dir, 'events.duckdb');
      const first = await DuckDbEventStore.open({ path: file });
      await first.write(fleetEvents());
      first.close();
      const again = await DuckDbEventStore.open({ path: file });
      try {
        expect(await again.migrate()).toEqual({ applied: [], current: 1 });
        expect(await again.countEvents()).toBe(EVENT_COUNT);
        await again.write(fleetEvents());
        expect(await again.countEvents()).toBe(EVENT_COUNT);
      } finally {
        again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
