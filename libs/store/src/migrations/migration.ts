/**
 * Versioned schema migrations, the same idea for both stores: a list of numbered steps, a table
 * recording which were applied (version, name, checksum, time), each step applied once and in
 * order, re-running a no-op, a failure stopping the run with an error that names the step.
 */
import { createHash } from 'node:crypto';

export interface Migration {
  /** 1, 2, 3, … without gaps: the order they run in. */
  version: number;
  /** snake_case summary, recorded with the version. */
  name: string;
  /**
   * Statements run one by one. ClickHouse has no DDL transactions, so each statement must be
   * idempotent (IF NOT EXISTS …): a step that failed half-way is simply run again.
   */
  statements: readonly string[];
}

/** A migration step that failed; later steps were not attempted. */
export class MigrationError extends Error {
  constructor(
    readonly migration: Pick<Migration, 'version' | 'name'>,
    /** Index of the failed statement; 'record' when the statements ran but recording failed. */
    readonly step: number | 'record' | undefined,
    override readonly cause: unknown,
    detail: string,
  ) {
    super(`migration ${migration.version} "${migration.name}" ${detail}`);
    this.name = 'MigrationError';
  }
}

/** Hash of what a step does: an applied step whose text changed since is refused, not re-run. */
export function migrationChecksum(m: Migration): string {
  return createHash('sha256').update(m.statements.join('\n;\n')).digest('hex').slice(0, 16);
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

/** What a store provides to the runner. */
export interface MigrationTarget {
  /** Creates the database (if the store has one) and the migrations table. Idempotent. */
  prepare(): Promise<void>;
  applied(): Promise<AppliedMigration[]>;
  /** Runs the statements, then records the step (atomically where the store can). */
  apply(m: Migration, checksum: string, onStep: (step: number | 'record') => void): Promise<void>;
}

export interface MigrationReport {
  /** Versions applied by this run, in order (empty when the schema was current). */
  applied: number[];
  /** Highest version now applied. */
  current: number;
}

export function validateMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `migration list: entry ${i} has version ${m.version}, expected ${i + 1} (versions are 1, 2, 3, … in order)`,
      );
    if (!/^[a-z0-9_]+$/.test(m.name)) throw new Error(`migration ${m.version}: name "${m.name}" must be snake_case`);
    if (m.statements.length === 0) throw new Error(`migration ${m.version} "${m.name}" has no statements`);
  });
}

export async function runMigrations(
  target: MigrationTarget,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  validateMigrations(migrations);
  await target.prepare();
  const done = new Map((await target.applied()).map((a) => [a.version, a]));
  for (const [version, a] of done) {
    const known = migrations[version - 1];
    if (!known)
      throw new Error(
        `the store has migration ${version} "${a.name}" applied, which this code does not know: it is older than the schema`,
      );
    if (a.checksum !== migrationChecksum(known))
      throw new MigrationError(
        known,
        undefined,
        undefined,
        `was applied with different statements (checksum ${a.checksum}, code has ${migrationChecksum(known)}): applied migrations must not be edited, add a new one`,
      );
  }
  const gap = migrations.find((m) => !done.has(m.version) && [...done.keys()].some((v) => v > m.version));
  if (gap)
    throw new MigrationError(
      gap,
      undefined,
      undefined,
      'is not applied although later ones are: the migrations table was edited by hand',
    );
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    let step: number | 'record' | undefined;
    try {
      await target.apply(m, migrationChecksum(m), (s) => (step = s));
    } catch (err) {
      const where =
        step === undefined
          ? 'failed'
          : step === 'record'
            ? 'ran but could not be recorded as applied'
            : `failed at statement ${step + 1} of ${m.statements.length}`;
      throw new MigrationError(m, step, err, `${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
    applied.push(m.version);
  }
  return { applied, current: migrations.length };
}
