import { randomUUID } from 'node:crypto';
import { decodeProcessBatch, encodeExecRecord, frameRecords, type RawExecEvent } from '@vigil/bpf-native';
import { eventKey, ContainerTagger } from '@vigil/collector';
import { BootClock, type GetEventsResponse } from '@vigil/events';
import { ProcessCache } from '@vigil/process-cache';
import type { PodRecord } from '@vigil/enricher/dist/domain/kubernetes/pod-record';
import type { BusMessage } from '@vigil/bus';

/** A node's worth of Tetragon-shaped events, made by the collector's own code from kernel-shaped records. */
export interface GeneratedEvents {
  /** vigil.events.raw messages, keyed as the collector keys them (exec_id). */
  messages: BusMessage<GetEventsResponse>[];
  /** The pods their containers belong to: the enricher's warm cache. */
  pods: PodRecord[];
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * `processes` execs and their exits, four in five in one of `podCount` pod containers (containerd
 * naming, systemd cgroup driver) and the rest host services. Each raw record goes through
 * ProcessCache.ingest and ContainerTagger.tag — what ProcessPipeline does with a kernel batch —
 * so the events carry the real shape: process + parent, exec_id, credentials, namespaces,
 * capabilities, and `docker` = the container id the enricher resolves.
 */
export function generateEvents(processes: number, podCount = 200): GeneratedEvents {
  const pods: PodRecord[] = Array.from({ length: podCount }, (_, i) => {
    const uid = randomUUID();
    return {
      uid,
      namespace: `team-${i % 10}`,
      name: `api-${hex(i, 4)}-7d9f8`,
      nodeName: 'bench-node',
      labels: { app: `api-${i % 20}`, 'app.kubernetes.io/part-of': 'shop', tier: 'backend' },
      annotations: { 'kubectl.kubernetes.io/default-container': 'main' },
      workload: `api-${hex(i, 4)}`,
      workloadKind: 'Deployment',
      containers: [
        {
          id: hex(i, 8).repeat(8),
          runtime: 'containerd',
          name: 'main',
          image: `registry.example.com/shop/api:${i % 7}.2.1`,
          imageId: `registry.example.com/shop/api@sha256:${hex(i, 8).repeat(8)}`,
          execProbes: [],
        },
      ],
      resourceVersion: String(1000 + i),
    };
  });
  const cgroupOf = (i: number): string => {
    if (i % 5 === 4) return `/system.slice/worker-${i % 3}.service`;
    const pod = pods[i % podCount]!;
    const slice = `kubepods-burstable-pod${pod.uid.replace(/-/g, '_')}.slice`;
    return `/kubepods.slice/kubepods-burstable.slice/${slice}/cri-containerd-${pod.containers[0]!.id}.scope`;
  };

  const cache = new ProcessCache({ nodeName: 'bench-node', clock: BootClock.calibrate(), capacity: processes + 16 });
  const tagger = new ContainerTagger((execId) => cache.get(execId));
  const base = 5_000_000_000n;
  const parent = exec(1, 4000, 1, base, '/usr/bin/containerd-shim-runc-v2', ['containerd-shim-runc-v2'], '/');
  const events: GetEventsResponse[] = [];
  cache.ingest(parent);
  for (let i = 0; i < processes; i++) {
    const pid = 10_000 + i;
    const ktime = base + BigInt(i + 1) * 1_000_000n;
    const argv = ['curl', '-sS', '--max-time', '5', `https://inventory.shop.svc.cluster.local/api/v1/items/${i}`];
    const raw = exec(i, pid, 4000, ktime, '/usr/bin/curl', argv, cgroupOf(i));
    const started = cache.ingest(raw);
    const exited = cache.ingest({ kind: 'exit', time: ktime + 500_000n, ktime, pid, tid: pid, status: 0, flags: 0 });
    for (const e of [started, exited]) if (e) events.push(e);
  }
  for (const e of events) tagger.tag(e);
  return { messages: events.map((value) => ({ key: eventKey(value), value })), pods };
}

function exec(
  i: number,
  pid: number,
  ppid: number,
  ktime: bigint,
  binary: string,
  argv: string[],
  cgroupPath: string,
): RawExecEvent {
  const record = encodeExecRecord({
    pid,
    tid: pid,
    ppid,
    ktime,
    parentKtime: ppid === 1 ? 0n : 5_000_000_000n,
    binary,
    argv,
    cwd: '/srv/app',
    cgroupPath,
    ids: [1000 + (i % 3), 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  });
  return decodeProcessBatch(frameRecords([record])).events[0] as RawExecEvent;
}

/** Bytes of the events as JSON, for "B/event" in the report. */
export function averageJsonBytes(messages: BusMessage<unknown>[]): number {
  const sample = messages.slice(0, 1000);
  return sample.reduce((s, m) => s + Buffer.byteLength(JSON.stringify(m.value)), 0) / sample.length;
}
