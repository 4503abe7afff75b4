import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    clickhouseUrl: string;
  }
}

const PROJECT = path.resolve(__dirname, '..', '..');
const REPO = path.resolve(PROJECT, '..', '..');

/** VIGIL_* from the environment (`eval "$(scripts/services env)"`), else what `scripts/services up` recorded. */
function endpoint(name: 'VIGIL_KAFKA_BROKERS' | 'VIGIL_CLICKHOUSE_URL'): string {
  const fromEnv = process.env[name];
  if (fromEnv) return fromEnv;
  const file = path.join(process.env['VIGIL_CACHE'] ?? path.join(REPO, '.cache'), 'services', 'endpoints.env');
  const line = fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}=`))
    : undefined;
  if (line) return line.slice(name.length + 1);
  throw new Error(`no ${name} for the exporter integration tests — fix: run \`scripts/services up\`, or set ${name}`);
}

export default async function setup(project: TestProject) {
  const clickhouseUrl = endpoint('VIGIL_CLICKHOUSE_URL');
  const ping = await fetch(`${clickhouseUrl}/ping`).catch((err: unknown) => err as Error);
  if (ping instanceof Error || !ping.ok)
    throw new Error(`ClickHouse at ${clickhouseUrl} does not answer /ping — fix: scripts/services up`);
  const kafkaBrokers = endpoint('VIGIL_KAFKA_BROKERS');
  // The restart test runs the exporter as its own process from dist/ (as deployed): compile it
  // now so it is the code under test. Its libraries' dist/ come from the nx build this target depends on.
  for (const lib of ['bus', 'store', 'events', 'config', 'service-kit'])
    if (!fs.existsSync(path.join(REPO, 'libs', lib, 'dist', 'index.js')))
      throw new Error(`libs/${lib}/dist is missing — fix: npx nx build @vigil/exporter`);
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: PROJECT,
    stdio: 'inherit',
  });
  console.log(`exporter integration: Kafka ${kafkaBrokers}, ClickHouse ${clickhouseUrl}`);
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('clickhouseUrl', clickhouseUrl);
}
