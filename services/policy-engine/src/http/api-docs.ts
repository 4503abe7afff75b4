import {
  Injectable,
  Logger,
  Module,
  type INestApplication,
  type LoggerService,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { TokenAuth } from '../domain/auth';
import { PolicyLogProvider } from '../policy-log.provider';
import { VIGIL_CONFIG } from '@vigil/service-kit';
import { contractSchemas } from './openapi-schemas';
import { PoliciesController } from './policies.controller';

/** Only the controllers, for a preview application: nothing is instantiated there. */
@Module({
  controllers: [PoliciesController],
  providers: [
    { provide: PolicyLogProvider, useValue: undefined },
    { provide: TokenAuth, useValue: undefined },
    { provide: VIGIL_CONFIG, useValue: undefined },
  ],
})
class PolicyApiDescriptionModule {}

/**
 * Nest keeps one logger for the whole process, and NestFactory.create applies its `logger` option
 * to it (Logger.overrideLogger): a preview created with `logger: false` silenced every later log
 * line of the process — the standalone service's and `vigil run`'s alike. Nest 11 has neither a
 * logger scoped to one application nor a public getter of the current one, so this subclass reads
 * and puts back the protected static Nest declares (typed: a rename in Nest fails to compile).
 * Never instantiated: only its static methods are used.
 */
abstract class ProcessLogger extends Logger {
  static current(): LoggerService | undefined {
    return Logger.staticInstanceRef;
  }

  /** Puts `previous` back, unless someone else replaced `ours` meanwhile (theirs is newer). */
  static restore(previous: LoggerService | undefined, ours: LoggerService): void {
    if (Logger.staticInstanceRef === ours) Logger.staticInstanceRef = previous;
  }
}

/** Nest's own lines about the preview ("Starting Nest application...", "... dependencies initialized", "running in the PREVIEW mode"). */
const PREVIEW_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'NestApplicationContext']);

/**
 * The logger while the preview is built: the preview's bootstrap lines are dropped, anything
 * else the process logs meanwhile (other async work) goes to the logger in place before.
 */
function previewLogger(previous: LoggerService | undefined): LoggerService {
  const forward =
    (level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal') =>
    (message: unknown, ...rest: unknown[]): void => {
      // Nest's Logger passes the context last.
      if (PREVIEW_CONTEXTS.has(rest[rest.length - 1] as string)) return;
      previous?.[level]?.(message, ...rest);
    };
  return {
    log: forward('log'),
    error: forward('error'),
    warn: forward('warn'),
    debug: forward('debug'),
    verbose: forward('verbose'),
    fatal: forward('fatal'),
  };
}

/** The OpenAPI document of the policy API, with the vigil.v1 contracts as component schemas. */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const previous = ProcessLogger.current();
  const quiet = previewLogger(previous);
  let preview: INestApplication;
  try {
    preview = await NestFactory.create(PolicyApiDescriptionModule, {
      preview: true,
      logger: quiet,
      abortOnError: false,
    });
  } finally {
    ProcessLogger.restore(previous, quiet);
  }
  try {
    const document = SwaggerModule.createDocument(
      preview,
      new DocumentBuilder()
        .setTitle('Vigil policy engine')
        .setDescription(
          'TracingPolicy management: every change is a PolicyRecord on vigil.policies (key = policy id); ' +
            'ids are <name> (TracingPolicy) or <namespace>:<name> (TracingPolicyNamespaced).',
        )
        .setVersion('v1')
        .addBearerAuth()
        .build(),
    );
    document.components = {
      ...document.components,
      schemas: { ...document.components?.schemas, ...contractSchemas() },
    };
    return document;
  } finally {
    await preview.close();
  }
}

/**
 * Serves /openapi.json and the Swagger UI at /docs from inside the module, so every composition
 * (the standalone service, `vigil run`) has them. Registered in onModuleInit: after the
 * controllers' routes, before Nest's not-found handler.
 */
@Injectable()
export class ApiDocs implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  async onModuleInit(): Promise<void> {
    const adapter = this.host.httpAdapter as unknown as {
      getType(): string;
      useStaticAssets(path: string, options: object): void;
    };
    if (!adapter || adapter.getType() !== 'express') return; // no HTTP server (e.g. an application context)
    const document = await buildOpenApiDocument();
    const app = {
      getHttpAdapter: () => adapter,
      useStaticAssets: (p: string, o: object) => adapter.useStaticAssets(p, o),
    };
    SwaggerModule.setup('docs', app as never, document, {
      jsonDocumentUrl: 'openapi.json',
      yamlDocumentUrl: 'openapi.yaml',
    });
  }
}
