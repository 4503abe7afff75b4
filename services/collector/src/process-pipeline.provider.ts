import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ProcessEventSource } from '@vigil/bpf-native';
import type { ConfigOf } from '@vigil/config';
import { BootClock, JsonExportWriter } from '@vigil/events';
import { findCgroup2Mount, probeKernel, type KernelProbeReport } from '@vigil/kernel-probe';
import { parsePolicyFile, formatDiagnostic } from '@vigil/policy';
import {
  kernelFromProbe,
  tracedSyscalls,
  kernelFunctions,
  PolicyLoadError,
  PolicyRuntime,
  readWorkloadFile,
  scanPodCgroups,
  StackSymbolizer,
  SYSCALLS_X86_64,
  type WorkloadSource,
} from '@vigil/policy-kernel';
import fs from 'node:fs';
import path from 'node:path';
import { hostNamespaces, ProcessCache, readProcess, readProcFs } from '@vigil/process-cache';
import { Readiness, VIGIL_CONFIG } from '@vigil/service-kit';
import type { collectorSchema } from './collector.config';
import { CollectorBus } from './collector-bus';
import { ContainerTagger } from './container-tagger';
import { NodePolicySync } from './node-policy-sync';
import { NodeWorkloads } from './node-workloads';
import { ProcessPipeline } from './process-pipeline';
import { mergePods } from './workload-map';

type CollectorConfig = ConfigOf<typeof collectorSchema>;

/** Builds the process pipeline from configuration and ties it to the application's lifecycle. */
@Injectable()
export class ProcessPipelineProvider implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly pipeline: ProcessPipeline;
  private readonly logger = new Logger('collector');
  private started = false;
  /** How the process hooks attach: from configuration, or chosen by the kernel probe for 'auto'. */
  attachMode: CollectorConfig['collector']['attachMode'];
  /** The node's TracingPolicies; set once the process hooks are attached. */
  policies?: PolicyRuntime;
  private readonly policyDir: string;
  private readonly workloads: WorkloadSource;
  private readonly cgroupRoot: string | undefined;
  private readonly workloadsRefreshMs: number;
  private workloadTimer?: NodeJS.Timeout;
  /** Workload refreshes that failed (a bad workloads file, a cgroup scan error): each retried at the next. */
  workloadRefreshFailures = 0;

  constructor(
    @Inject(VIGIL_CONFIG) config: CollectorConfig,
    private readonly transport: CollectorBus,
    private readonly sync: NodePolicySync,
    private readonly workloadMap: NodeWorkloads,
    readiness: Readiness,
  ) {
    const c = config.collector;
    this.attachMode = c.attachMode;
    this.policyDir = c.policyDir;
    this.workloadsRefreshMs = c.workloadsRefresh;
    // The cgroup2 mount does not move while the collector runs: found once, scanned every refresh.
    this.cgroupRoot = findCgroup2Mount();
    // Pods from the file and the enricher's map (the map wins on a uid both name: it is newer);
    // cgroups from this node's own tree, since cgroup ids are inode numbers only the node can read.
    this.workloads = {
      pods: () => mergePods(c.workloadsFile ? readWorkloadFile(c.workloadsFile) : [], workloadMap.pods()),
      cgroups: () => (this.cgroupRoot ? scanPodCgroups(this.cgroupRoot) : []),
    };
    // A new map applies at once; the timer still catches pods' cgroups coming and going.
    workloadMap.onChange(() => this.refreshWorkloads());
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
      bus: transport.bus,
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
      stacks: new StackSymbolizer({ exposeAddresses: c.exposeStackAddresses }),
      containers: new ContainerTagger((execId) => cache.get(execId)),
    });
    readiness.register('process hooks', () => this.started);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Before the probe: a map that arrives meanwhile is there when the first policies load.
    this.workloadMap.start();
    // One probe (as `vigil probe`): the process hooks' flavour and the policies' strategies.
    let report: KernelProbeReport | undefined;
    try {
      report = await probeKernel();
    } catch (err) {
      this.logger.warn(`kernel probe failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.attachMode === 'auto' && report) {
      const choice = report.hookStrategy.tracepoint;
      this.logger.log(`process hooks: ${choice.mechanism} (${choice.why})`);
      if (choice.mechanism !== 'unsupported') this.attachMode = choice.mechanism;
    }
    // Without a probe answer, ProcessEventSource tries each flavour in order itself.
    this.pipeline.start();
    if (report) {
      const policies = new PolicyRuntime({
        kernel: kernelFromProbe(report, tracedSyscalls(SYSCALLS_X86_64), hostNamespaces(), kernelFunctions()),
        shared: this.pipeline.sharedMaps(),
        workloads: this.workloads,
        cgroupRoot: this.cgroupRoot,
      });
      this.policies = policies;
      this.pipeline.usePolicies(policies);
      this.loadPolicyDir();
      // Central policies join the directory's in the same runtime (one name space: metadata.name).
      this.sync.start(policies);
      // Namespaced policies follow pods as they come and go.
      this.workloadTimer = setInterval(() => this.refreshWorkloads(), this.workloadsRefreshMs);
      this.workloadTimer.unref();
    } else {
      this.logger.warn('TracingPolicies unavailable: the kernel probe gave no hook strategy');
    }
    this.started = true;
  }

  /** Scoped policies' hooks get the cgroups now in scope; nothing to do before the runtime exists. */
  private refreshWorkloads(): void {
    if (!this.policies) return;
    try {
      this.policies.refreshWorkloads();
    } catch (err) {
      this.workloadRefreshFailures++;
      this.logger.warn(`workloads: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Every *.yaml / *.yml of the policy directory; a bad file is reported and skipped. */
  private loadPolicyDir(): void {
    if (!this.policyDir || !this.policies) return;
    let files: string[];
    try {
      files = fs
        .readdirSync(this.policyDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort();
    } catch (err) {
      this.logger.error(`policy directory ${this.policyDir}: ${(err as Error).message}`);
      return;
    }
    for (const f of files) {
      const file = path.join(this.policyDir, f);
      const parsed = parsePolicyFile(file);
      if (!parsed.ok) {
        this.logger.error(`${file}: not loaded:\n${parsed.errors.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}`);
        continue;
      }
      try {
        const status = this.policies.add(parsed.policy);
        this.logger.log(`policy ${status.name} loaded from ${file}: ${status.hooks.map((h) => h.how).join('; ')}`);
      } catch (err) {
        if (!(err instanceof PolicyLoadError)) throw err;
        this.logger.error(`${file}: ${err.message}`);
      }
    }
  }

  /**
   * In dependency order: no more policy records, then the policies' hooks, then the process
   * hooks (their last events handed to the bus), then the bus (sent, or kept in the spool).
   */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.workloadTimer);
    this.workloadMap.stop();
    this.sync.stop();
    this.policies?.close();
    await this.pipeline.close();
    await this.transport.close();
  }
}
