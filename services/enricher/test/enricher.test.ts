import { InProcessBus, Topic, type BusMessage } from '@vigil/bus';
import type { GetEventsResponse } from '@vigil/events';
import { afterEach, describe, expect, it } from 'vitest';
import { Enricher, type EnricherDeadLetter } from '../src/domain/enricher';
import { PodCache } from '../src/domain/kubernetes/pod-cache';
import { podRecord } from '../src/domain/kubernetes/pod-record';
import { fakePod, type FakePodSpec } from './fake-kube-api-server';
import { until } from './until';

const ID1 = '1'.repeat(64);
const ID2 = '2'.repeat(64);
const cgroup = (id: string) => `/kubepods.slice/kubepods-besteffort.slice/cri-containerd-${id}.scope`;

function exec(execId: string, docker: string | undefined, parentDocker?: string): GetEventsResponse {
  return {
    node_name: 'node-a',
    process_exec: {
      process: {
        exec_id: execId,
        pid: 42,
        binary: '/bin/cat',
        arguments: '/tmp/ok',
        flags: 'execve',
        ...(docker ? { docker } : {}),
      },
      parent: { exec_id: `${execId}-parent`, binary: '/bin/sh', ...(parentDocker ? { docker: parentDocker } : {}) },
      ancestors: [{ exec_id: `${execId}-grand`, binary: '/usr/bin/containerd-shim' }],
    },
  };
}

const webPod: FakePodSpec = {
  name: 'web-7d4b9c8f6-abcde',
  namespace: 'shop',
  uid: 'uid-web',
  labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6' },
  annotations: { team: 'a' },
  owner: { kind: 'ReplicaSet', name: 'web-7d4b9c8f6' },
  containers: [{ name: 'app', containerID: `containerd://${ID1}`, execProbe: ['cat', '/tmp/ok'] }],
};

describe('Enricher (in-process bus, pod cache fed directly)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  function setup(options: { kubernetes?: boolean; bufferSize?: number; maxWaitMs?: number } = {}) {
    const bus = new InProcessBus();
    const pods = new PodCache({ maxPods: 100, deletedRetentionMs: 60_000 });
    const enricher = new Enricher({
      bus,
      pods: options.kubernetes === false ? undefined : pods,
      consumer: 'enricher',
      bufferSize: options.bufferSize ?? 100,
      maxWaitMs: options.maxWaitMs ?? 60_000,
    });
    pods.onChange(() => enricher.podsChanged());
    const out: BusMessage<GetEventsResponse>[] = [];
    const dead: BusMessage<EnricherDeadLetter>[] = [];
    bus.subscribe<GetEventsResponse>(Topic.events, 'test', (b) => void out.push(...b));
    bus.subscribe<EnricherDeadLetter>(Topic.deadLetter, 'test', (b) => void dead.push(...b));
    enricher.start();
    closers.push(async () => {
      await enricher.close();
      await bus.close();
    });
    const publish = (messages: BusMessage<unknown>[]) => bus.publish(Topic.eventsRaw, messages);
    return { bus, pods, enricher, out, dead, publish };
  }

  it("fills process, parent and ancestors in Tetragon's shape", async () => {
    const t = setup();
    t.pods.upsert(podRecord(fakePod(webPod)));
    await t.publish([{ key: 'e1', value: exec('e1', cgroup(ID1), ID1.slice(0, 31)) }]);
    await until('enriched', () => t.out.length === 1);
    const { process, parent, ancestors } = t.out[0]!.value.process_exec!;
    expect(t.out[0]!.key).toBe('e1');
    expect(process!.docker).toBe(ID1);
    expect(process!.pod).toEqual({
      namespace: 'shop',
      name: 'web-7d4b9c8f6-abcde',
      uid: 'uid-web',
      container: {
        id: `containerd://${ID1}`,
        name: 'app',
        image: { id: 'docker.io/library/nginx@sha256:0123', name: 'docker.io/library/nginx:1.27' },
        start_time: '2026-11-28T10:00:01Z',
        // /bin/cat /tmp/ok is the container's exec liveness probe.
        maybe_exec_probe: true,
      },
      pod_labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6' },
      workload: 'web',
      workload_kind: 'Deployment',
      pod_annotations: { team: 'a' },
    });
    // The parent's truncated (Tetragon-style) id matched by prefix; the host ancestor untouched.
    expect(parent!.pod?.name).toBe('web-7d4b9c8f6-abcde');
    expect(parent!.pod?.container?.maybe_exec_probe).toBeUndefined();
    expect(ancestors![0]!.pod).toBeUndefined();
    expect(t.enricher.stats()).toMatchObject({ received: 1, enriched: 1, unknownPod: 0 });
  });

  it('holds an event until its pod appears, and later events of the same key behind it', async () => {
    const t = setup();
    await t.publish([
      { key: 'e1', value: exec('e1', cgroup(ID1)) },
      { key: 'host', value: exec('host', undefined) },
      // Same process, no container of its own to wait for: still queued behind e1's first event.
      { key: 'e1', value: { ...exec('e1', undefined), node_name: 'second' } },
    ]);
    await until('host event', () => t.out.length === 1);
    expect(t.out[0]!.key).toBe('host');
    expect(t.enricher.stats()).toMatchObject({ unknownPod: 1, queuedBehind: 1, buffer: { size: 2 } });
    t.pods.upsert(podRecord(fakePod(webPod)));
    await until('released', () => t.out.length === 3);
    expect(t.out.slice(1).map((m) => [m.key, m.value.node_name])).toEqual([
      ['e1', 'node-a'],
      ['e1', 'second'],
    ]);
    expect(t.out[1]!.value.process_exec!.process!.pod?.name).toBe('web-7d4b9c8f6-abcde');
    expect(t.enricher.stats()).toMatchObject({ resolvedLate: 2, flagged: { timeout: 0 }, buffer: { size: 0 } });
  });

  it('sends an event flagged podUnknown after the maximum wait', async () => {
    const t = setup({ maxWaitMs: 50 });
    const started = Date.now();
    await t.publish([{ key: 'e1', value: exec('e1', cgroup(ID2)) }]);
    await until('flagged', () => t.out.length === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    const process = t.out[0]!.value.process_exec!.process!;
    expect(process.flags).toBe('execve podUnknown');
    expect(process.docker).toBe(ID2);
    expect(process.pod).toEqual({ container: { id: ID2 } });
    expect(t.enricher.stats()).toMatchObject({ unknownPod: 1, flagged: { timeout: 1, evicted: 0 } });
  });

  it('evicts the oldest held event, flagged, when the buffer is full', async () => {
    const t = setup({ bufferSize: 2 });
    await t.publish([1, 2, 3].map((i) => ({ key: `e${i}`, value: exec(`e${i}`, cgroup(ID2)) })));
    await until('evicted', () => t.out.length === 1);
    expect(t.out[0]!.key).toBe('e1');
    expect(t.out[0]!.value.process_exec!.process!.flags).toContain('podUnknown');
    expect(t.enricher.stats()).toMatchObject({ flagged: { evicted: 1 }, buffer: { size: 2, evictions: 1 } });
    await t.enricher.close();
    expect(t.enricher.stats().flagged.shutdown).toBe(2);
    await until('flushed at shutdown', () => t.out.length === 3);
  });

  it('dead-letters a malformed event with the field path, and goes on', async () => {
    const t = setup();
    await t.publish([
      { key: 'bad1', value: { process_exec: { process: { exec_id: 'x' }, ancestors: [{}, 'oops'] } } },
      { key: 'bad2', value: { node_name: 'n' } },
      { key: 'bad3', value: { process_exec: { process: { docker: 7 } } } },
      { key: 'host', value: exec('host', undefined) },
    ]);
    await until('dead letters and the good event', () => t.dead.length === 3 && t.out.length === 1);
    expect(t.dead.map((d) => d.value.error)).toEqual([
      'process_exec.ancestors[1]: expected a Process object, got string',
      '(message): no event: expected one of process_exec, process_exit, process_kprobe, process_tracepoint, process_lsm, process_uprobe',
      'process_exec.process.docker: expected a string, got number',
    ]);
    expect(t.dead[0]).toMatchObject({
      key: 'bad1',
      value: { reason: 'invalid-event', topic: Topic.eventsRaw, consumer: 'enricher' },
    });
    expect(t.enricher.stats()).toMatchObject({ received: 4, deadLettered: 3, passedThrough: 1 });
  });

  it('without Kubernetes: the container id from the cgroup path, nothing waits or is flagged', async () => {
    const t = setup({ kubernetes: false });
    await t.publish([{ key: 'e1', value: exec('e1', cgroup(ID2)) }]);
    await until('out', () => t.out.length === 1);
    const process = t.out[0]!.value.process_exec!.process!;
    expect(process.docker).toBe(ID2);
    expect(process.pod).toBeUndefined();
    expect(process.flags).toBe('execve');
  });
});
