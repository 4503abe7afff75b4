/**
 * GET /metrics of the enricher — the whole module on the in-process bus, watching the fake API
 * server (no cluster here): each vigil_enricher_* metric moved by what causes it, and
 * docs/metrics.md naming exactly what it serves.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InProcessBus, Topic, type BusMessage, type TopicName } from '@vigil/bus';
import type { GetEventsResponse } from '@vigil/events';
import { Metrics, metricsDocProblems, sampleValue } from '@vigil/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { EnricherModule } from '../src';
import { FakeKubeApiServer, fakeKubeconfig, type FakePodSpec } from './fake-kube-api-server';
import { untilAsync } from './until';

const DOC = path.resolve(__dirname, '../../../docs/metrics.md');
const id = (c: string) => c.repeat(64);
const cgroup = (cid: string) => `/kubepods.slice/kubepods-besteffort.slice/cri-containerd-${cid}.scope`;

function exec(execId: string, docker?: string): GetEventsResponse {
  return {
    node_name: 'node-a',
    process_exec: { process: { exec_id: execId, pid: 42, binary: '/bin/cat', ...(docker ? { docker } : {}) } },
  };
}

const pod = (name: string, cid: string): FakePodSpec => ({
  name,
  namespace: 'shop',
  uid: `uid-${name}`,
  containers: [{ name: 'app', containerID: `containerd://${cid}` }],
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(env: Record<string, string> = {}) {
  const api = new FakeKubeApiServer();
  const url = await api.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-enricher-metrics-'));
  fs.writeFileSync(path.join(dir, 'kubeconfig'), fakeKubeconfig(url));
  cleanups.push(async () => {
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const bus = new InProcessBus();
  const app: INestApplication = await NestFactory.create(
    EnricherModule.register({
      bus,
      load: {
        env: {
          VIGIL_NODE_NAME: 'node-a',
          VIGIL_KUBERNETES: 'kubeconfig',
          VIGIL_KUBECONFIG: path.join(dir, 'kubeconfig'),
          VIGIL_KUBERNETES_NODE: 'node-a',
          VIGIL_KUBERNETES_BACKOFF_MS: '20',
          VIGIL_WORKLOADS_DEBOUNCE_MS: '20',
          ...env,
        },
      },
    }),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await app.close();
  });
  const base = await app.getUrl();
  const out: BusMessage<GetEventsResponse>[] = [];
  bus.subscribe<GetEventsResponse>(Topic.events, 'test', (b) => void out.push(...b));
  const scrape = async () => (await fetch(`${base}/metrics`)).text();
  const value = async (name: string, labels: Record<string, string> = {}) => sampleValue(await scrape(), name, labels);
  const until = (what: string, name: string, check: (v: number) => boolean, labels: Record<string, string> = {}) =>
    untilAsync(what, async () => check(await value(name, labels)));
  const publish = async (messages: BusMessage<unknown>[]) => {
    await bus.publish(Topic.eventsRaw, messages);
    await bus.flush();
  };
  /** publish() to `topic` rejects until the returned function is called. */
  const refuse = (topic: TopicName) => {
    const original = bus.publish.bind(bus);
    bus.publish = (t, messages) => (t === topic ? Promise.reject(new Error('transport down')) : original(t, messages));
    return () => void (bus.publish = original);
  };
  const close = async () => {
    closed = true;
    await app.close();
  };
  await until('the pod list', 'vigil_enricher_pod_watch_synced', (v) => v === 1);
  return { api, app, bus, out, scrape, value, until, publish, refuse, close };
}

describe('enricher /metrics', () => {
  it('counts events in and out by what became of them, and times each batch', async () => {
    const e = await start({ VIGIL_ENRICHER_MAX_WAIT_MS: '60000', VIGIL_ENRICHER_BUFFER_SIZE: '2' });
    e.api.upsert(pod('web', id('a')));
    await e.until('the pod cached', 'vigil_enricher_pod_cache_containers', (v) => v === 1);

    await e.publish([
      { key: 'known', value: exec('known', cgroup(id('a'))) },
      { key: 'host', value: exec('host') },
      { key: 'bad', value: { not: 'an event' } },
      // Pod "late" is not known yet: this waits, and its process's next event waits behind it.
      { key: 'late', value: exec('late', cgroup(id('b'))) },
      { key: 'late', value: exec('late', cgroup(id('b'))) },
    ]);
    let text = await e.scrape();
    expect(sampleValue(text, 'vigil_enricher_events_received_total')).toBe(5);
    expect(sampleValue(text, 'vigil_enricher_events_enriched_total')).toBe(1);
    expect(sampleValue(text, 'vigil_enricher_events_passed_through_total')).toBe(1);
    expect(sampleValue(text, 'vigil_enricher_events_dead_lettered_total')).toBe(1);
    expect(sampleValue(text, 'vigil_enricher_events_waited_total')).toBe(1);
    expect(sampleValue(text, 'vigil_enricher_events_queued_behind_total')).toBe(1);
    expect(sampleValue(text, 'vigil_enricher_retry_buffer_events')).toBe(2);
    expect(sampleValue(text, 'vigil_enricher_retry_buffer_capacity')).toBe(2);
    expect(sampleValue(text, 'vigil_enricher_batch_duration_seconds_count', { result: 'ok' })).toBe(1);

    // The pod appears: both held events leave enriched.
    e.api.upsert(pod('late', id('b')));
    await e.until('held events released', 'vigil_enricher_events_resolved_late_total', (v) => v === 2);
    expect(await e.value('vigil_enricher_retry_buffer_events')).toBe(0);

    // The buffer holds 2: a third waiting event pushes the oldest out, flagged.
    await e.publish([1, 2, 3].map((n) => ({ key: `u${n}`, value: exec(`u${n}`, cgroup(id(String(n)))) })));
    text = await e.scrape();
    expect(sampleValue(text, 'vigil_enricher_retry_buffer_evictions_total')).toBe(1);
    expect(sampleValue(text, 'vigil_enricher_events_pod_unknown_total', { reason: 'evicted' })).toBe(1);

    // vigil.events refuses: the events are counted, not retried.
    const restore = e.refuse(Topic.events);
    await e.publish([{ key: 'lost', value: exec('lost') }]);
    await e.until('the failed publish', 'vigil_enricher_events_publish_failed_total', (v) => v === 1);
    restore();

    // At shutdown the held events go out flagged (read from the registry: the server is gone).
    const metrics = e.app.get(Metrics);
    await e.close();
    expect(sampleValue(await metrics.text(), 'vigil_enricher_events_pod_unknown_total', { reason: 'shutdown' })).toBe(
      2,
    );
  });

  it('flags events whose pod never comes once they waited enricher.maxWait', async () => {
    const e = await start({ VIGIL_ENRICHER_MAX_WAIT_MS: '100' });
    await e.publish([{ key: 'never', value: exec('never', cgroup(id('c'))) }]);
    await e.until('the timeout', 'vigil_enricher_events_pod_unknown_total', (v) => v === 1, { reason: 'timeout' });
  });

  it('shows the pod cache, its watch and the workload maps', async () => {
    const e = await start({ VIGIL_KUBERNETES_MAX_PODS: '2' });
    expect(await e.value('vigil_enricher_pod_watch_lists_total')).toBeGreaterThanOrEqual(1);
    e.api.upsert(pod('one', id('1')));
    e.api.upsert(pod('two', id('2')));
    await e.until('two live pods', 'vigil_enricher_pod_cache_pods', (v) => v === 2, { state: 'live' });
    expect(await e.value('vigil_enricher_pod_watch_events_total')).toBeGreaterThanOrEqual(2);
    await e.until('a workload map', 'vigil_enricher_workload_maps_published_total', (v) => v >= 1, { result: 'ok' });
    // Full of live pods: a third is refused.
    e.api.upsert(pod('three', id('3')));
    await e.until('a refused pod', 'vigil_enricher_pod_cache_dropped_total', (v) => v === 1, { reason: 'refused' });
    // A deleted pod is kept for late events, then makes room for a live one.
    e.api.delete('uid-one');
    await e.until('a deleted pod retained', 'vigil_enricher_pod_cache_pods', (v) => v === 1, { state: 'deleted' });
    e.api.upsert(pod('four', id('4')));
    await e.until('a deleted pod evicted', 'vigil_enricher_pod_cache_dropped_total', (v) => v === 1, {
      reason: 'deleted_evicted',
    });
    // vigil.workloads refuses the next map.
    const restore = e.refuse(Topic.workloads);
    e.api.upsert(pod('two', id('5')));
    await e.until('a failed map', 'vigil_enricher_workload_maps_published_total', (v) => v >= 1, { result: 'failed' });
    restore();
    // The watch breaks and the next one is refused: an error (retried from the same version).
    e.api.failNext(500, 1, 'watch');
    e.api.dropWatches();
    await e.until('a watch error', 'vigil_enricher_pod_watch_errors_total', (v) => v >= 1);
    // The server forgot the history: 410 Gone, and a new list.
    const lists = await e.value('vigil_enricher_pod_watch_lists_total');
    e.api.dropWatches();
    e.api.upsert(pod('five', id('6')));
    e.api.compact();
    await e.until('a relist', 'vigil_enricher_pod_watch_lists_total', (v) => v > lists);
  });

  it('serves exactly the metrics docs/metrics.md documents for the enricher and the bus', async () => {
    const e = await start();
    expect(
      metricsDocProblems(fs.readFileSync(DOC, 'utf8'), await e.scrape(), ['vigil_enricher_', 'vigil_bus_']),
    ).toEqual([]);
  });
});
