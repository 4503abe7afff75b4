import 'reflect-metadata';
import { type INestApplication, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { baseSchema, ConfigError } from '@vigil/config';
import { afterEach, describe, expect, it } from 'vitest';
import { Readiness, ServiceKitModule, VIGIL_CONFIG } from '../src';

let dependencyUp = false;

@Injectable()
class NeedsKafka {
  constructor(readiness: Readiness) {
    readiness.register('kafka', () => dependencyUp);
  }
}

function appModule(env: Record<string, string>) {
  @Module({
    imports: [ServiceKitModule.forRoot({ name: 'testsvc', schema: baseSchema, load: { env } })],
    providers: [NeedsKafka],
  })
  class AppModule {}
  return AppModule;
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(env: Record<string, string> = {}): Promise<string> {
  app = await NestFactory.create(appModule(env), { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  return app.getUrl();
}

describe('ServiceKitModule', () => {
  it('serves liveness with the service name', async () => {
    const url = await start();
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', service: 'testsvc' });
  });

  it('reports not ready (503) until every registered check passes', async () => {
    const url = await start();
    dependencyUp = false;
    let res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', service: 'testsvc', checks: { kafka: false } });
    dependencyUp = true;
    res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
  });

  it('injects the validated configuration', async () => {
    await start({ VIGIL_NODE_NAME: 'node-7' });
    expect(app!.get(VIGIL_CONFIG).node.name).toBe('node-7');
  });

  it('refuses to start on a bad configuration value, naming it', async () => {
    await expect(start({ VIGIL_LOG_LEVEL: 'loud' })).rejects.toThrow(ConfigError);
    await expect(start({ VIGIL_LOG_LEVEL: 'loud' })).rejects.toThrow(/env VIGIL_LOG_LEVEL: log.level: expected one of/);
  });
});
