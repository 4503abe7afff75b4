import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
  }
}

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * Finds the real broker the way the integration project does, minus containers (this lane runs
 * where `scripts/services up` runs): VIGIL_KAFKA_BROKERS, else the endpoints it recorded.
 */
function brokers(): { brokers: string[]; source: string } {
  const fromEnv = process.env['VIGIL_KAFKA_BROKERS'];
  if (fromEnv) return { brokers: fromEnv.split(','), source: 'environment' };
  const file = path.join(process.env['VIGIL_CACHE'] ?? path.join(REPO, '.cache'), 'services', 'endpoints.env');
  const line = fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('VIGIL_KAFKA_BROKERS='))
    : undefined;
  if (line) return { brokers: line.slice(line.indexOf('=') + 1).split(','), source: file };
  throw new Error(
    'no Kafka broker for the @vigil/service-kit integration tests — fix: run `scripts/services up` (or set VIGIL_KAFKA_BROKERS)',
  );
}

export default function setup(project: TestProject): void {
  const found = brokers();
  console.log(`@vigil/service-kit integration: Kafka ${found.brokers.join(',')} (${found.source})`);
  project.provide('kafkaBrokers', found.brokers);
}
