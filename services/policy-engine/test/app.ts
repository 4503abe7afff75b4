import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { EventBus } from '@vigil/bus';
// From the package entry, as a composition root (`vigil run`) imports it.
import { PolicyEngineModule, PolicyGrpcProvider, PolicyLogProvider } from '../src';
import { TOKENS } from './fixtures';

export interface TestApp {
  app: INestApplication;
  url: string;
  /** The gRPC API's address (a free port). */
  grpcAddress: string;
  call(method: string, path: string, init?: { token?: string; body?: string; type?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** The policy engine as the services start it, on the given bus, serving on a free port once replayed. */
export async function startEngine(bus: EventBus, env: Record<string, string> = {}): Promise<TestApp> {
  const app = await NestFactory.create(
    PolicyEngineModule.register({
      bus,
      load: { env: { VIGIL_POLICY_ENGINE_TOKENS: TOKENS, VIGIL_POLICY_ENGINE_GRPC_ADDRESS: '127.0.0.1:0', ...env } },
    }),
    { logger: false, abortOnError: false },
  );
  await app.listen(0, '127.0.0.1');
  await app.get(PolicyLogProvider).log.whenReady();
  const url = await app.getUrl();
  return {
    app,
    url,
    grpcAddress: app.get(PolicyGrpcProvider).boundAddress,
    call: (method, path, init = {}) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.type ? { 'content-type': init.type } : {}),
        },
        body: init.body,
      }),
    close: () => app.close(),
  };
}

/**
 * A response body for assertions. Deliberately untyped: the tests check the JSON the API sends,
 * field by field, rather than trusting a type that would say the same as the code under test.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(res: Response): Promise<any> {
  return res.json();
}
