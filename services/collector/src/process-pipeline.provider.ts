import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ProcessEventSource } from '@vigil/bpf-native';
import type { EventBus } from '@vigil/bus';
import type { ConfigOf } from '@vigil/config';
import { BootClock, JsonExportWriter } from '@vigil/events';
import { probeKernel } from '@vigil/kernel-probe';
import { hostNamespaces, ProcessCache, readProcess, readProcFs } from '@vigil/process-cache';
import { EVENT_BUS, Readiness, VIGIL_CONFIG } from '@vigil/service-kit';
import type { collectorSchema } from './collector.config';
import { ProcessPipeline } from './process-pipeline';

type CollectorConfig = ConfigOf<typeof collectorSchema>;

/** Builds the process pipeline from configuration and ties it to the application's lifecycle. */
@Injectable()
export class ProcessPipelineProvider implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly pipeline: ProcessPipeline;
  private readonly logger = new Logger('collector');
  private started = false;
  /** How the process hooks attach: from configuration, or chosen by the kernel probe for 'auto'. */
  attachMode: CollectorConfig['collector']['attachMode'];

  constructor(@Inject(VIGIL_CONFIG) config: CollectorConfig, @Inject(EVENT_BUS) bus: EventBus, readiness: Readiness) {
    const c = config.collector;
    this.attachMode = c.attachMode;
    const cache = new ProcessCache({
      nodeName: config.node.name,
      clock: BootClock.calibrate(),
      capacity: c.processCacheSize,
      hostNamespaces: hostNamespaces(),
      ancestors: c.ancestors,
      procFallback: (pid) => readProcess(pid),
    });
    const exporter = c.exportFile
      ? new JsonExportWriter({
          filename: c.exportFile,
          maxSizeBytes: c.exportMaxSize,
          maxBackups: c.exportMaxBackups,
          onError: (err) => this.logger.warn(`JSON export: ${String(err)}`),
        })
      : undefined;
    this.pipeline = new ProcessPipeline({
      cache,
      bus,
      export: exporter,
      openSource: (onEvents) => {
        const source = ProcessEventSource.open({
          ringBufferBytes: c.ringBufferSize,
          attachMode: this.attachMode,
          procMapEntries: c.processCacheSize,
          onEvents,
        });
        this.logger.log(`process hooks attached (${source.attachMode})`);
        return source;
      },
      readProc: () => readProcFs(),
    });
    readiness.register('process hooks', () => this.started);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.attachMode === 'auto') {
      // The same probe as `vigil probe`, limited to the tracepoint flavours the process hooks use.
      try {
        const report = await probeKernel({ only: ['tp_btf', 'raw_tp', 'tracepoint'] });
        const choice = report.hookStrategy.tracepoint;
        this.logger.log(`process hooks: ${choice.mechanism} (${choice.why})`);
        if (choice.mechanism !== 'unsupported') this.attachMode = choice.mechanism;
      } catch (err) {
        // Without a probe answer, ProcessEventSource still tries each flavour in order itself.
        this.logger.warn(
          `kernel probe failed, attaching by trial: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    this.pipeline.start();
    this.started = true;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pipeline.close();
  }
}
