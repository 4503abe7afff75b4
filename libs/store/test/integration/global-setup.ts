import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouseUrl: string;
  }
}

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * The ClickHouse server of the integration lane: VIGIL_CLICKHOUSE_URL (what scripts/test and
 * `eval "$(scripts/services env)"` export), else the endpoint `scripts/services up` recorded.
 */
function clickhouseUrl(): string {
  const fromEnv = process.env['VIGIL_CLICKHOUSE_URL'];
  if (fromEnv) return fromEnv;
  const file = path.join(process.env['VIGIL_CACHE'] ?? path.join(REPO, '.cache'), 'services', 'endpoints.env');
  const line = fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('VIGIL_CLICKHOUSE_URL='))
    : undefined;
  if (line) return line.slice('VIGIL_CLICKHOUSE_URL='.length);
  throw new Error(
    'no ClickHouse for the store integration tests — fix: run `scripts/services up` (scripts/test does it), or set VIGIL_CLICKHOUSE_URL',
  );
}

export default async function setup(project: TestProject) {
  const url = clickhouseUrl();
  const ping = await fetch(`${url}/ping`).catch((err: unknown) => err as Error);
  if (ping instanceof Error || !ping.ok)
    throw new Error(
      `ClickHouse at ${url} does not answer /ping (${ping instanceof Error ? ping.message : ping.status}) — fix: scripts/services up`,
    );
  console.log(`store integration: ClickHouse ${url}`);
  project.provide('clickhouseUrl', url);
}
