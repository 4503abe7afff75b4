import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubePodSource } from '../src/domain/kubernetes/kube-pod-source';
import { PodCache } from '../src/domain/kubernetes/pod-cache';
import { PodWatcher, type PodWatcherOptions } from '../src/domain/kubernetes/pod-watcher';
import { FakeKubeApiServer, fakeKubeconfig } from './fake-kube-api-server';
import { until } from './until';

// The pod cache's watcher through the real @kubernetes/client-node against a FAKE API server.
const cid = (n: number) => n.toString(16).padStart(64, 'a');

describe('PodWatcher against the FAKE Kubernetes API server', () => {
  let api: FakeKubeApiServer;
  let source: KubePodSource;
  let dir: string;
  const watchers: PodWatcher[] = [];

  beforeEach(async () => {
    api = new FakeKubeApiServer();
    const url = await api.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-kube-'));
    fs.writeFileSync(path.join(dir, 'kubeconfig'), fakeKubeconfig(url));
    source = await KubePodSource.create({ mode: 'kubeconfig', path: path.join(dir, 'kubeconfig') });
  });

  afterEach(async () => {
    for (const w of watchers.splice(0)) w.stop();
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function watcher(cache: PodCache, options: Partial<PodWatcherOptions> = {}): PodWatcher {
    const w = new PodWatcher(source, cache, {
      fieldSelector: 'spec.nodeName=node-a',
      pageSize: 2,
      resyncMs: 60_000,
      watchTimeoutSeconds: 60,
      backoffInitialMs: 20,
      backoffMaxMs: 100,
      ...options,
    });
    watchers.push(w);
    w.start();
    return w;
  }
  const newCache = () => new PodCache({ maxPods: 100, deletedRetentionMs: 60_000 });

  it('lists every page of its node only, then follows adds, changes and deletes', async () => {
    for (let i = 0; i < 5; i++)
      api.upsert({
        name: `web-${i}`,
        uid: `uid-${i}`,
        containers: [{ name: 'c', containerID: `containerd://${cid(i)}` }],
      });
    api.upsert({ name: 'elsewhere', uid: 'uid-b', nodeName: 'node-b' });
    const cache = newCache();
    const w = watcher(cache);
    await until('synced', () => w.status().synced && w.status().connected);
    expect(cache.stats().pods).toBe(5);
    expect(cache.pod('uid-b')).toBeUndefined();
    // Three pages of two, each with the node's field selector.
    const lists = api.requests.filter((r) => !r.includes('watch=true'));
    expect(lists).toHaveLength(3);
    expect(lists.every((r) => r.includes('fieldSelector=spec.nodeName%3Dnode-a'))).toBe(true);

    api.upsert({
      name: 'web-9',
      uid: 'uid-9',
      labels: { app: 'web' },
      containers: [{ name: 'c', containerID: `containerd://${cid(9)}` }],
    });
    await until('added pod', () => cache.container(cid(9)) !== undefined);
    expect(cache.container(cid(9))!.pod.labels).toEqual({ app: 'web' });
    api.upsert({
      name: 'web-9',
      uid: 'uid-9',
      labels: { app: 'web', v: '2' },
      containers: [{ name: 'c', containerID: `containerd://${cid(9)}` }],
    });
    await until('changed labels', () => cache.pod('uid-9')?.labels['v'] === '2');
    api.delete('uid-9');
    await until('deleted', () => cache.stats().pods === 5);
    // Deleted but retained for late events.
    expect(cache.stats().deletedRetained).toBe(1);
    expect(cache.container(cid(9))?.pod.name).toBe('web-9');
    expect(w.status()).toMatchObject({ lists: 1, errors: 0, gone: 0 });
  });

  it('continues from its resourceVersion after a dropped connection, without relisting', async () => {
    api.upsert({ name: 'a', uid: 'uid-a' });
    const cache = newCache();
    const w = watcher(cache);
    await until('watching', () => api.openWatches() === 1);
    api.dropWatches();
    api.upsert({ name: 'b', uid: 'uid-b' }); // while nobody watches: replayed from the history
    await until('pod from the gap', () => cache.pod('uid-b') !== undefined);
    await until('watching again', () => api.openWatches() === 1);
    expect(w.status().lists).toBe(1);
    expect(w.status().watches).toBeGreaterThanOrEqual(2);
  });

  for (const goneAs of ['error-event', 'http-410'] as const) {
    it(`relists on 410 Gone (${goneAs}) and drops pods deleted meanwhile`, async () => {
      api.goneAs = goneAs;
      api.upsert({ name: 'a', uid: 'uid-a' });
      api.upsert({ name: 'b', uid: 'uid-b' });
      const cache = newCache();
      const w = watcher(cache);
      await until('watching', () => api.openWatches() === 1);
      api.dropWatches();
      api.delete('uid-a');
      api.upsert({ name: 'c', uid: 'uid-c' });
      api.compact(); // the gap's events are gone: only a relist can tell
      await until('relisted', () => w.status().lists === 2 && cache.pod('uid-c') !== undefined);
      expect(w.status().gone).toBe(1);
      expect(w.status().lastError).toMatch(goneAs === 'http-410' ? /HTTP 410/ : /too old resource version/);
      expect(
        cache
          .livePods()
          .map((p) => p.name)
          .sort(),
      ).toEqual(['b', 'c']);
    });
  }

  it('retries a failing list with backoff and reports the error', async () => {
    api.upsert({ name: 'a', uid: 'uid-a' });
    api.failNext(500, 3, 'list');
    const cache = newCache();
    const w = watcher(cache);
    await until('synced after errors', () => w.status().synced);
    expect(w.status()).toMatchObject({ errors: 3, lists: 1 });
    expect(w.status().lastError).toMatch(/list pods: HTTP 500/);
    expect(cache.pod('uid-a')?.name).toBe('a');
  });

  it('relists on resync and when a failed watch cannot continue', async () => {
    const cache = newCache();
    const w = watcher(cache);
    await until('watching', () => api.openWatches() === 1);
    w.resync();
    await until('resynced', () => w.status().lists === 2 && api.openWatches() === 1);
    expect(w.status()).toMatchObject({ resyncs: 1, errors: 0 });
    api.failNext(503, 1, 'watch');
    api.dropWatches();
    await until('watching after a refused watch', () => api.openWatches() === 1);
    // The cut connection and the refused watch.
    expect(w.status().errors).toBe(2);
    expect(w.status().lastError).toMatch(/watch pods: HTTP 503/);
    expect(w.status().lists).toBe(2);
  });
});
