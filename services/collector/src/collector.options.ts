import type { EventBus, KafkaBusOptions } from '@vigil/bus';
import type { LoadOptions } from '@vigil/config';

export interface CollectorModuleOptions {
  /** The transport from the composition root (`vigil run`: in-process); none: a KafkaBus from configuration. */
  bus?: EventBus;
  load?: LoadOptions;
  /**
   * For the KafkaBus built from configuration: kafkajs settings the configuration does not hold
   * (ssl, sasl, a socketFactory), passed last.
   */
  kafkaConfig?: KafkaBusOptions['kafkaConfig'];
}

/** Injection token of the options given to CollectorModule.register(). */
export const COLLECTOR_OPTIONS = Symbol('COLLECTOR_OPTIONS');
