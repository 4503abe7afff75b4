import fs from 'node:fs';
import { ProcessEventSource } from '@vigil/bpf-native';
import { InProcessBus, Topic } from '@vigil/bus';
import { BootClock, type GetEventsResponse, type Process, type ProcessExec, type ProcessExit } from '@vigil/events';
import { hostNamespaces, ProcessCache, readProcess, readProcFs } from '@vigil/process-cache';
import type { UserActionRunner } from '@vigil/policy-kernel';
import { ProcessPipeline } from '../../src/process-pipeline';

/** Kernel tests need root and BPF; elsewhere they are skipped with this reason, loudly. */
export const kernelSkipReason =
  process.getuid?.() !== 0
    ? 'needs root'
    : !fs.existsSync('/sys/fs/bpf')
      ? 'needs BPF (/sys/fs/bpf missing)'
      : undefined;
if (kernelSkipReason) console.warn(`SKIPPED collector kernel tests: ${kernelSkipReason}`);

export const NODE = 'test-node';

/** The real pipeline on the real kernel, collecting every event it publishes. */
export function startPipeline(options: { capacity?: number; userActions?: UserActionRunner } = {}) {
  const bus = new InProcessBus();
  const events: GetEventsResponse[] = [];
  bus.subscribe<GetEventsResponse>(Topic.eventsRaw, 'test', (batch) => void events.push(...batch.map((m) => m.value)));
  const cache = new ProcessCache({
    nodeName: NODE,
    clock: BootClock.calibrate(),
    capacity: options.capacity ?? 65_536,
    hostNamespaces: hostNamespaces(),
    procFallback: (pid) => readProcess(pid),
  });
  const pipeline = new ProcessPipeline({
    cache,
    bus,
    openSource: (onEvents) => ProcessEventSource.open({ onEvents, pollIntervalMs: 5 }),
    readProc: () => readProcFs(),
    userActions: options.userActions,
  });
  pipeline.start();

  /** The first exec event whose process matches. */
  const execOf = (pred: (p: Process & { exec_id: string }) => boolean) =>
    events.find(
      (e) => e.process_exec?.process?.exec_id && pred(e.process_exec.process as Process & { exec_id: string }),
    )?.process_exec as (ProcessExec & { process: Process & { exec_id: string } }) | undefined;
  const exitOf = (execId: string) =>
    events.find((e) => e.process_exit?.process?.exec_id === execId)?.process_exit as
      (ProcessExit & { process: Process }) | undefined;
  const waitFor = async <T>(get: () => T | undefined, label: string, ms = 20_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = get();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${label} (${events.length} events seen)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { bus, events, cache, pipeline, execOf, exitOf, waitFor, close: () => pipeline.close() };
}

/** Where cgroup v2 is mounted (one definition, with the pod cgroups the policy tests create). */
export { cgroup2Root } from '@vigil/policy-kernel/dist/testing/fake-kube-node';
