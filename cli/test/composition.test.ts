import 'reflect-metadata';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus } from '@vigil/bus';
import { EnricherModule } from '@vigil/enricher';
import { ExporterModule } from '@vigil/exporter';
import { PolicyEngineModule } from '@vigil/policy-engine';
import { describe, expect, it } from 'vitest';

// The composition root assembles every service's module; each must also boot and answer on its
// own, on an in-process bus (no Kafka). (The collector loads BPF: it boots in test/kernel/.)
describe.each<[string, () => DynamicModule]>([
  ['enricher', () => EnricherModule.register({ bus: new InProcessBus() })],
  ['exporter', () => ExporterModule.register({ bus: new InProcessBus(), store: { kind: 'duckdb', path: ':memory:' } })],
  ['policy-engine', () => PolicyEngineModule.register({ bus: new InProcessBus() })],
])('%s module', (name, module) => {
  it('boots and reports itself alive', async () => {
    const app = await NestFactory.create(module(), { logger: false, abortOnError: false });
    try {
      await app.listen(0, '127.0.0.1');
      const res = await fetch(`${await app.getUrl()}/healthz`);
      expect(await res.json()).toEqual({ status: 'ok', service: name });
    } finally {
      await app.close();
    }
  });
});
