import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { EnricherModule } from '@vigil/enricher';
import { ExporterModule } from '@vigil/exporter';
import { PolicyEngineModule } from '@vigil/policy-engine';
import { describe, expect, it } from 'vitest';

// The composition root assembles every service's module; each must boot and answer on its own.
// (The collector loads BPF: it boots in test/kernel/run.test.ts.)
describe.each([
  ['enricher', EnricherModule],
  ['exporter', ExporterModule],
  ['policy-engine', PolicyEngineModule],
])('%s module', (name, module) => {
  it('boots and reports itself alive', async () => {
    const app = await NestFactory.create(module, { logger: false, abortOnError: false });
    try {
      await app.listen(0, '127.0.0.1');
      const res = await fetch(`${await app.getUrl()}/healthz`);
      expect(await res.json()).toEqual({ status: 'ok', service: name });
    } finally {
      await app.close();
    }
  });
});
