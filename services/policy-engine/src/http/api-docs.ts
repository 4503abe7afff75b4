import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
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

/** The OpenAPI document of the policy API, with the vigil.v1 contracts as component schemas. */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const preview = await NestFactory.create(PolicyApiDescriptionModule, {
    preview: true,
    logger: false,
    abortOnError: false,
  });
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
