import { describe, expect, it } from 'vitest';
import { DuckDbEventStore, duckDbMigrations, MigrationError, runMigrations, type Migration } from '../src';

const extra: Migration = {
  version: 2,
  name: 'add_notes',
  statements: ['CREATE TABLE IF NOT EXISTS notes (n VARCHAR)'],
};

async function tables(store: DuckDbEventStore): Promise<string[]> {
  const rows = await store.sql(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name`,
  );
  return rows.map((r) => String(r['table_name']));
}

describe('migrations (run against an embedded DuckDB)', () => {
  it('applies each step once, in order; re-running is a no-op', async () => {
    const store = await DuckDbEventStore.open({ migrations: [] });
    try {
      expect(await store.migrate(duckDbMigrations())).toEqual({ applied: [1], current: 1 });
      expect(await store.migrate([...duckDbMigrations(), extra])).toEqual({ applied: [2], current: 2 });
      expect(await store.migrate([...duckDbMigrations(), extra])).toEqual({ applied: [], current: 2 });
      expect(await tables(store)).toEqual(['notes', 'vigil_events', 'vigil_schema_migrations']);
    } finally {
      store.close();
    }
  });

  it('stops at a failing step with its version, name and statement, and applies nothing after it', async () => {
    const store = await DuckDbEventStore.open();
    const broken: Migration = {
      version: 2,
      name: 'broken_step',
      statements: ['CREATE TABLE ok_part (a INT)', 'CREATE TABLE oops (a NOSUCHTYPE)'],
    };
    const after: Migration = { version: 3, name: 'never_reached', statements: ['CREATE TABLE later (a INT)'] };
    try {
      const err = await store.migrate([...duckDbMigrations(), broken, after]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      expect((err as MigrationError).message).toMatch(
        /^migration 2 "broken_step" failed at statement 2 of 2: .*NOSUCHTYPE/s,
      );
      expect((err as MigrationError).step).toBe(1);
      // DuckDB rolled the whole step back; step 3 was not attempted.
      expect(await tables(store)).toEqual(['vigil_events', 'vigil_schema_migrations']);
      const fixed: Migration = { ...broken, statements: ['CREATE TABLE ok_part (a INT)'] };
      expect(await store.migrate([...duckDbMigrations(), fixed, after])).toEqual({ applied: [2, 3], current: 3 });
    } finally {
      store.close();
    }
  });

  it('refuses an applied step whose statements were edited, and a store newer than the code', async () => {
    const store = await DuckDbEventStore.open();
    try {
      await store.migrate([...duckDbMigrations(), extra]);
      const edited = { ...extra, statements: ['CREATE TABLE IF NOT EXISTS notes (n VARCHAR, m INT)'] };
      await expect(store.migrate([...duckDbMigrations(), edited])).rejects.toThrow(
        /^migration 2 "add_notes" was applied with different statements/,
      );
      await expect(store.migrate(duckDbMigrations())).rejects.toThrow(
        'the store has migration 2 "add_notes" applied, which this code does not know',
      );
    } finally {
      store.close();
    }
  });

  it('validates the list before touching the store', async () => {
    const target = {
      prepare: () => Promise.reject(new Error('must not be called')),
      applied: () => Promise.resolve([]),
      apply: () => Promise.resolve(),
    };
    await expect(runMigrations(target, [{ ...extra, version: 2 }])).rejects.toThrow(
      'entry 0 has version 2, expected 1',
    );
    await expect(runMigrations(target, [{ version: 1, name: 'Bad Name', statements: ['x'] }])).rejects.toThrow(
      'must be snake_case',
    );
    await expect(runMigrations(target, [{ version: 1, name: 'empty', statements: [] }])).rejects.toThrow(
      'has no statements',
    );
  });
});
