import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { InProcessBus } from '@vigil/bus';

const DRAIN_BUS = Symbol('DRAIN_BUS');

/** Enough for raw → enriched → stored plus dead letters; a pipeline still moving after that is not draining. */
const MAX_ROUNDS = 10;

/**
 * At shutdown, between the collector (stopped first: no new events) and the enricher and
 * exporter (which unsubscribe when they stop, dropping what is still queued for them): waits
 * until the in-process bus has delivered everything, so a Ctrl-C stores the last events too.
 * One flush is not enough — each stage publishes to the next while it handles a batch — so it
 * flushes until a round publishes nothing new.
 */
@Injectable()
class PipelineDrain implements OnApplicationShutdown {
  constructor(@Inject(DRAIN_BUS) private readonly bus: InProcessBus) {}

  async onApplicationShutdown(): Promise<void> {
    let before = published(this.bus);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      await this.bus.flush();
      const after = published(this.bus);
      if (after === before) return;
      before = after;
    }
  }
}

function published(bus: InProcessBus): number {
  return Object.values(bus.stats().published).reduce((a, b) => a + b, 0);
}

/**
 * Placed in the all-in-one's imports right after the collector: Nest stops modules of the same
 * depth in the reverse order of their imports, so it runs after the collector stopped and before
 * the enricher and exporter do.
 */
@Module({})
export class PipelineDrainModule {
  static register(bus: InProcessBus): DynamicModule {
    return { module: PipelineDrainModule, providers: [{ provide: DRAIN_BUS, useValue: bus }, PipelineDrain] };
  }
}
