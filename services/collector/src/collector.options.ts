import type { EventBus } from '@vigil/bus';
import type { LoadOptions } from '@vigil/config';

export interface CollectorModuleOptions {
  /** The transport from the composition root (`vigil run`: in-process); none: a KafkaBus from configuration. */
  bus?: EventBus;
  load?: LoadOptions;
}

/** Injection token of the options given to CollectorModule.register(). */
export const COLLECTOR_OPTIONS = Symbol('COLLECTOR_OPTIONS');
