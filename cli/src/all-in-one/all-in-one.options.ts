import type { DynamicModule } from '@nestjs/common';
import type { InProcessBus } from '@vigil/bus';

/** One service module of the all-in-one application and where its own routes are mounted. */
export interface MountedService {
  /** The service's name, as its ServiceKitModule reports it (the key in the combined /status). */
  name: string;
  module: DynamicModule;
  /** Path prefix of the service's routes; '' mounts them at the root. */
  prefix: string;
}

export interface AllInOneOptions {
  /** The one transport every service shares. */
  bus: InProcessBus;
  services: MountedService[];
}

/** Injection token of the AllInOneOptions. */
export const ALL_IN_ONE = Symbol('ALL_IN_ONE');
