import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { ModulesContainer } from '@nestjs/core';
import { Readiness, SERVICE_NAME, ServiceKitModule } from '@vigil/service-kit';

/**
 * What the combined endpoints need from each service of the one application, read from Nest's
 * module container: each service module imports its own ServiceKitModule (its name, its
 * Readiness), and answers GET /status in a controller of its own module. Neither is exported by
 * the services (nothing outside a service should need them), so the composition root looks them
 * up where Nest keeps them instead of asking every service to export one more provider.
 */
export interface ServiceView {
  name: string;
  readiness: Readiness;
}

export function serviceViews(modules: ModulesContainer): ServiceView[] {
  const views: ServiceView[] = [];
  for (const moduleRef of modules.values()) {
    if (moduleRef.metatype !== ServiceKitModule) continue;
    const name = moduleRef.providers.get(SERVICE_NAME)?.instance as string | undefined;
    const readiness = moduleRef.providers.get(Readiness)?.instance as Readiness | undefined;
    if (name && readiness instanceof Readiness) views.push({ name, readiness });
  }
  return views;
}

type StatusHandler = () => unknown;

/**
 * The handler a service module serves on GET <its prefix>/status: a controller mounted at its
 * module's root with a @Get('status') method taking no arguments. Undefined when it has none
 * (the policy engine).
 */
export function statusHandler(modules: ModulesContainer, serviceModule: Type<unknown>): StatusHandler | undefined {
  for (const moduleRef of modules.values()) {
    if (moduleRef.metatype !== serviceModule) continue;
    for (const wrapper of moduleRef.controllers.values()) {
      const controller = wrapper.instance as Record<string, unknown> | undefined;
      if (!controller || !isRootPath(Reflect.getMetadata(PATH_METADATA, wrapper.metatype as object))) continue;
      const proto = Object.getPrototypeOf(controller) as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(proto)) {
        const method = proto[key];
        if (typeof method !== 'function' || method.length !== 0) continue;
        if (
          Reflect.getMetadata(PATH_METADATA, method) === 'status' &&
          Reflect.getMetadata(METHOD_METADATA, method) === RequestMethod.GET
        )
          return () => (method as StatusHandler).call(controller);
      }
    }
  }
  return undefined;
}

/** @Controller() stores '/' as its path. */
function isRootPath(path: unknown): boolean {
  return path === '/' || path === '' || path === undefined;
}
