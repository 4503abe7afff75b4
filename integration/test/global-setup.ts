import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { resolveTestServices } from '../src/test-services';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    clickhouseUrl: string;
  }
}

/** Finds (or starts) Kafka and ClickHouse once for the whole run. */
export default async function setup(project: TestProject) {
  const services = await resolveTestServices();
  console.log(
    `integration: Kafka ${services.kafkaBrokers.join(',')} and ClickHouse ${services.clickhouseUrl} (${services.source})`,
  );
  project.provide('kafkaBrokers', services.kafkaBrokers);
  project.provide('clickhouseUrl', services.clickhouseUrl);
  return () => services.stop();
}
