import { randomUUID } from 'node:crypto';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const ROWS = 100_000;
const NODES = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];
const BINARIES = [
  '/usr/bin/bash',
  '/usr/bin/curl',
  '/usr/bin/cat',
  '/usr/sbin/sshd',
  '/usr/bin/python3',
  '/usr/bin/node',
  '/bin/sh',
];

interface Row {
  day: string;
  time: string;
  node: string;
  binary: string;
  pid: number;
  duration_ns: string;
}

function makeRow(i: number): Row {
  const day = 1 + (i % 28);
  const second = i % 86_400;
  const hh = String(Math.floor(second / 3600)).padStart(2, '0');
  const mm = String(Math.floor((second % 3600) / 60)).padStart(2, '0');
  const ss = String(second % 60).padStart(2, '0');
  const date = `2026-11-${String(day).padStart(2, '0')}`;
  return {
    day: date,
    time: `${date} ${hh}:${mm}:${ss}`,
    node: NODES[i % NODES.length]!,
    binary: BINARIES[(i * 7) % BINARIES.length]!,
    pid: 1000 + (i % 32_768),
    duration_ns: String(BigInt(i) * 1_000_003n),
  };
}

describe('real ClickHouse server', () => {
  const database = `vigil_it_${randomUUID().replace(/-/g, '')}`;
  let client: ClickHouseClient;

  beforeAll(async () => {
    client = createClient({ url: inject('clickhouseUrl') });
    await client.command({ query: `CREATE DATABASE ${database}` });
  });

  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
  });

  it(`stores ${ROWS} rows in a MergeTree table and returns correct aggregates`, async () => {
    await client.command({
      query: `CREATE TABLE ${database}.execs (
        day Date, time DateTime, node String, binary String, pid UInt32, duration_ns UInt64
      ) ENGINE = MergeTree() PARTITION BY day ORDER BY (node, binary, time)`,
    });
    const rows = Array.from({ length: ROWS }, (_, i) => makeRow(i));
    for (let start = 0; start < ROWS; start += 25_000) {
      await client.insert({
        table: `${database}.execs`,
        values: rows.slice(start, start + 25_000),
        format: 'JSONEachRow',
      });
    }

    const total = await client.query({
      query: `SELECT count() AS n, sum(duration_ns) AS total, uniqExact(pid) AS pids FROM ${database}.execs`,
      format: 'JSONEachRow',
    });
    const [summary] = await total.json<{ n: string; total: string; pids: string }>();
    const expectedTotal = rows.reduce((s, r) => s + BigInt(r.duration_ns), 0n);
    expect(Number(summary!.n)).toBe(ROWS);
    expect(BigInt(summary!.total)).toBe(expectedTotal);
    expect(Number(summary!.pids)).toBe(new Set(rows.map((r) => r.pid)).size);

    const perNode = await client.query({
      query: `SELECT node, binary, count() AS n, max(time) AS last FROM ${database}.execs GROUP BY node, binary ORDER BY node, binary`,
      format: 'JSONEachRow',
    });
    const got = await perNode.json<{ node: string; binary: string; n: string; last: string }>();
    const expected = new Map<string, { n: number; last: string }>();
    for (const r of rows) {
      const key = `${r.node} ${r.binary}`;
      const e = expected.get(key) ?? { n: 0, last: '' };
      expected.set(key, { n: e.n + 1, last: r.time > e.last ? r.time : e.last });
    }
    expect(got).toHaveLength(expected.size);
    for (const g of got) {
      expect({ n: Number(g.n), last: g.last }).toEqual(expected.get(`${g.node} ${g.binary}`));
    }

    const perDay = await client.query({
      query: `SELECT count() AS days FROM (SELECT day FROM ${database}.execs GROUP BY day)`,
      format: 'JSONEachRow',
    });
    expect(Number((await perDay.json<{ days: string }>())[0]!.days)).toBe(28);
  });
});
