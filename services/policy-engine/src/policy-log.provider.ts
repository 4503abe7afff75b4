import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventBus } from '@vigil/bus';
import type { ConfigOf } from '@vigil/config';
import { EVENT_BUS, Readiness, VIGIL_CONFIG } from '@vigil/service-kit';
import { PolicyLog } from './domain/policy-log';
import type { policyEngineSchema } from './policy-engine.config';

/** The policy log, started with the application: it replays vigil.policies before it serves. */
@Injectable()
export class PolicyLogProvider implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly log: PolicyLog;

  constructor(
    @Inject(VIGIL_CONFIG) config: ConfigOf<typeof policyEngineSchema>,
    @Inject(EVENT_BUS) bus: EventBus,
    readiness: Readiness,
  ) {
    const logger = new Logger('policy-engine');
    this.log = new PolicyLog({ bus, quietMs: config.policyEngine.replayQuietMs, log: (l) => logger.log(l) });
    readiness.register('policies replayed', () => this.log.ready);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.log.start();
  }

  onApplicationShutdown(): void {
    this.log.stop();
  }
}
