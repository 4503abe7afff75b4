import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ClickHouseEventStore,
  ClickHouseEventWriter,
  clickHouseMigrations,
  DuckDbEventStore,
  literal,
  migrateClickHouse,
  MigrationError,
  type EventQueries,
} from '../../src';
import { fleetEvents, P3, P7, Q2 } from '../fixtures/fleet';
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
} from '../fixtures/fleet-expected';

describe('ClickHouse event store (real server)', () => {
  const database = `vigil_store_it_${randomUUID().replace(/-/g, '')}`;
  let store: ClickHouseEventStore;
  let duck: DuckDbEventStore;

  beforeAll(async () => {
    store = new ClickHouseEventStore({ url: inject('clickhouseUrl'), database });
    duck = await DuckDbEventStore.open();
  });

  afterAll(async () => {
    await store?.connection.command(`DROP DATABASE IF EXISTS ${database}`);
    await store?.close();
    duck?.close();
  });

  it('applies the migrations once; running them again changes nothing', async () => {
    expect(await store.migrate()).toEqual({ applied: [1], current: 1 });
    expect(await store.migrate()).toEqual({ applied: [], current: 1 });
    const recorded = await store.connection.rows(`SELECT version, name FROM ${database}.vigil_schema_migrations`);
    expect(recorded).toEqual([{ version: 1, name: 'create_events' }]);
    const [table] = await store.connection.rows(
      `SELECT engine, partition_key, sorting_key FROM system.tables WHERE database = ${literal(database)} AND name = 'vigil_events'`,
    );
    expect(table).toMatchObject({ engine: 'ReplacingMergeTree' });
  });

  it('stops at a failing migration naming it, and applies nothing after it', async () => {
    const current = clickHouseMigrations(database);
    const broken = {
      version: 2,
      name: 'broken_step',
      statements: [`ALTER TABLE ${database}.no_such_table ADD COLUMN x UInt8`],
    };
    const after = {
      version: 3,
      name: 'never_reached',
      statements: [`CREATE TABLE ${database}.later (a UInt8) ENGINE = Memory`],
    };
    const err = await migrateClickHouse(store.connection, database, [...current, broken, after]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(
      /^migration 2 "broken_step" failed at statement 1 of 1: .*ClickHouse error 60/,
    );
    const tables = await store.connection.rows(
      `SELECT name FROM system.tables WHERE database = ${literal(database)} ORDER BY name`,
    );
    expect(tables.map((t) => t['name'])).toEqual(['vigil_events', 'vigil_schema_migrations']);
  });

  it('round-trips hostile strings through the escaping helper', async () => {
    const values = [
      "it's",
      'back\\slash',
      "\\'",
      'l1\nl2\r\t',
      'nul\0byte',
      '\u0001\u001f\u007f',
      "x' OR '1'='1",
      'κόσμε 🐝',
      '',
    ];
    const rows = await store.connection.rows(`SELECT ${values.map((v, i) => `${literal(v)} AS v${i}`).join(', ')}`);
    expect(rows).toEqual([Object.fromEntries(values.map((v, i) => [`v${i}`, v]))]);
    const [big] = await store.connection.rows(
      `SELECT ${literal((1n << 64n) - 1n)} AS u, ${literal(['a', "b'"])} AS arr`,
    );
    expect(big).toEqual({ u: '18446744073709551615', arr: ['a', "b'"] });
  });

  it('collapses re-delivered events: exact counts after an exporter restart mid-batch', async () => {
    const events = fleetEvents();
    // First exporter: inserts a batch, then "dies" after its second batch landed but before it
    // committed offsets. The restarted exporter gets everything again from the last commit.
    const first = new ClickHouseEventWriter({
      connection: store.connection,
      database,
      maxBatchRows: 7,
      flushIntervalMs: 50,
    });
    await first.write(events.slice(0, 14));
    await first.close();
    const restarted = new ClickHouseEventWriter({
      connection: store.connection,
      database,
      maxBatchRows: 5,
      flushIntervalMs: 50,
    });
    await Promise.all([restarted.write(events.slice(0, 10)), restarted.write(events.slice(10))]);
    await restarted.write(events.slice(3, 6));
    await restarted.close();
    expect(restarted.stats()).toMatchObject({ connected: true, backlogRows: 0, insertedRows: 23, failedRows: 0 });
    await duck.write(events);

    const [raw] = await store.connection.rows(`SELECT count() AS n FROM ${database}.vigil_events`);
    // Before merges the copies are on disk; FINAL (what every preset reads) collapses them.
    expect(Number(raw!['n'])).toBeGreaterThanOrEqual(EVENT_COUNT);
    expect(await store.countEvents()).toBe(EVENT_COUNT);
    expect(await store.countEvents({ since: ALL.since, until: ALL.until })).toBe(EVENT_COUNT);
    await store.connection.command(`OPTIMIZE TABLE ${database}.vigil_events FINAL`);
    const [merged] = await store.connection.rows(`SELECT count() AS n FROM ${database}.vigil_events`);
    expect(Number(merged!['n'])).toBe(EVENT_COUNT);
  });

  it('answers every preset with the expected rows, and the same rows as DuckDB', async () => {
    const expectations: Array<[string, (s: EventQueries) => Promise<unknown>, unknown]> = [
      ['topBinaries limit 2', (s) => s.topBinaries({ ...ALL, limit: 2 }), TOP_BINARIES_LIMIT_2],
      ['topBinaries shop', (s) => s.topBinaries({ ...ALL, namespace: 'shop' }), TOP_BINARIES_SHOP],
      ['firstSeen curl', (s) => s.firstSeen('/usr/bin/curl'), FIRST_CURL],
      ['firstSeen unknown', (s) => s.firstSeen("/usr/bin/it's-not-there"), undefined],
      [
        'processTree P3',
        (s) => s.processTree({ execId: P3.exec_id! }),
        { exec_id: P3.exec_id, nodes: TREE_OF_P3, truncated: false },
      ],
      ['policyHits hourly', (s) => s.policyHits({ ...ALL, bucketSeconds: 3600 }), POLICY_HITS_HOURLY],
      ['enforcementByWorkload', (s) => s.enforcementByWorkload(ALL), ENFORCEMENT],
      ['connectionsByPod', (s) => s.connectionsByPod(ALL), CONNECTIONS],
    ];
    for (const [name, run, expected] of expectations) {
      const fromClickHouse = await run(store);
      expect(fromClickHouse, `${name} (ClickHouse)`).toEqual(expected);
      expect(await run(duck), `${name} (DuckDB)`).toEqual(fromClickHouse);
    }
    // Presets whose answers follow from the ones above, compared store against store only.
    const more: Array<(s: EventQueries) => Promise<unknown>> = [
      (s) => s.processTree({ execId: P7.exec_id! }),
      (s) => s.processTree({ execId: Q2.exec_id! }),
      (s) => s.topBinaries({ since: ALL.since }),
      (s) => s.policyHits({ ...ALL, bucketSeconds: 60, policy: 'connect-watch' }),
      (s) => s.connectionsByPod({ ...ALL, namespace: 'batch' }),
    ];
    for (const run of more) expect(await run(store)).toEqual(await run(duck));
  });

  it('exports the stored events as Tetragon JSON lines, in time order', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    expect(await store.exportNdjson({ ...ALL, pageSize: 4 }, out)).toBe(EVENT_COUNT);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(fleetEvents());
    const fromDuck: string[] = [];
    for await (const line of duck.exportLines(ALL)) fromDuck.push(line);
    expect(text.trimEnd().split('\n')).toEqual(fromDuck);
  });
});
