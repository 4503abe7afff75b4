import 'reflect-metadata';
import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, type baseSchema, type ConfigOf } from '@vigil/config';
import { VIGIL_CONFIG } from './tokens';

/**
 * Starts a service's root module as an HTTP application on the configured address. A bad
 * configuration ends the process with the ConfigError's lines and exit code 2, nothing else.
 */
export async function bootstrapService(name: string, rootModule: unknown): Promise<INestApplication> {
  const logger = new Logger(name);
  let app: INestApplication;
  try {
    app = await NestFactory.create(rootModule as never, { logger: ['error', 'warn', 'log'], abortOnError: false });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`vigil ${name}: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  app.enableShutdownHooks();
  const config = app.get<ConfigOf<typeof baseSchema>>(VIGIL_CONFIG);
  await app.listen(config.http.port, config.http.host);
  logger.log(`listening on ${await app.getUrl()}`);
  return app;
}
