import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicy, type PolicyDiagnostic, type PolicyParseResult } from '../src';
import { corpusFiles, FIXTURES_DIR, yamlFiles } from './helpers';
import { mutants } from '../src/testing/mutants';

function serialize(result: PolicyParseResult): string {
  return JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** An error points inside the text: a real line, and a column within it (or at its newline). */
function pointsInside(text: string, d: PolicyDiagnostic): boolean {
  const lines = text.split('\n');
  if (text.length === 0) return d.line === 1 && d.column === 1;
  const line = lines[d.line - 1];
  if (line === undefined || d.column < 1) return false;
  const offset = lines.slice(0, d.line - 1).reduce((n, l) => n + l.length + 1, 0) + d.column - 1;
  return d.column <= line.length + 1 && offset < text.length;
}

describe('mutation fuzzing', () => {
  const seeds = [...corpusFiles(), ...yamlFiles(FIXTURES_DIR)].map((f) => fs.readFileSync(f, 'utf8'));
  const TOTAL = 1_200;

  it(
    `never throws and reports every rejection precisely (${TOTAL} deterministic mutants)`,
    { timeout: 120_000 },
    () => {
      const counts = { total: 0, rejected: 0, accepted: 0 };
      const perMutation: Record<string, { rejected: number; accepted: number }> = {};
      const problems: string[] = [];
      for (const { index: i, applied, text } of mutants(seeds, TOTAL)) {
        const key = applied.join('+');
        const bucket = (perMutation[applied[0] ?? 'none'] ??= { rejected: 0, accepted: 0 });
        counts.total += 1;
        let result: PolicyParseResult;
        try {
          result = parsePolicy(text, `mutant-${i}.yaml`);
        } catch (err) {
          problems.push(`mutant ${i} (${key}) threw: ${(err as Error).stack ?? String(err)}`);
          continue;
        }
        if (result.ok) {
          counts.accepted += 1;
          bucket.accepted += 1;
          if (serialize(parsePolicy(text, `mutant-${i}.yaml`)) !== serialize(result)) {
            problems.push(`mutant ${i} (${key}) parsed differently the second time`);
          }
          continue;
        }
        counts.rejected += 1;
        bucket.rejected += 1;
        if (result.errors.length === 0) problems.push(`mutant ${i} (${key}) rejected without errors`);
        for (const e of result.errors) {
          if (!e.path) problems.push(`mutant ${i} (${key}) error without a path: ${e.reason}`);
          if (!pointsInside(text, e))
            problems.push(`mutant ${i} (${key}) error outside the text at ${e.line}:${e.column}: ${e.reason}`);
        }
      }
      console.log(`fuzz: ${JSON.stringify(counts)}`);
      console.log(`fuzz by first mutation: ${JSON.stringify(perMutation)}`);
      expect(problems.slice(0, 20)).toEqual([]);
      expect(counts.total).toBe(TOTAL);
      // Both outcomes must be well represented, or the mutations are not exercising the validator.
      expect(counts.rejected).toBeGreaterThan(TOTAL / 4);
      expect(counts.accepted).toBeGreaterThan(TOTAL / 20);
    },
  );
});
