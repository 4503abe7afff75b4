import { describe, expect, it } from 'vitest';
import { podRecord } from '../src/domain/kubernetes/pod-record';
import { resolveWorkload } from '../src/domain/kubernetes/workload-owner';
import { fakePod } from './fake-kube-api-server';

const rs = (name: string) => [{ kind: 'ReplicaSet', name, controller: true }];

describe('resolveWorkload', () => {
  it('ReplicaSet named <deployment>-<pod-template-hash> → Deployment', () => {
    expect(resolveWorkload('web-7d4b9c8f6-x2x9q', { 'pod-template-hash': '7d4b9c8f6' }, rs('web-7d4b9c8f6'))).toEqual({
      workload: 'web',
      kind: 'Deployment',
    });
  });
  it('ReplicaSet without the hash label or suffix stays a ReplicaSet', () => {
    expect(resolveWorkload('p', {}, rs('web-7d4b9c8f6'))).toEqual({ workload: 'web-7d4b9c8f6', kind: 'ReplicaSet' });
    expect(resolveWorkload('p', { 'pod-template-hash': 'zzz' }, rs('web-7d4b9c8f6'))).toEqual({
      workload: 'web-7d4b9c8f6',
      kind: 'ReplicaSet',
    });
  });
  it('Job named <cronjob>-<scheduled minutes> → CronJob; other Jobs stay Jobs', () => {
    expect(resolveWorkload('p', {}, [{ kind: 'Job', name: 'backup-29412345', controller: true }])).toEqual({
      workload: 'backup',
      kind: 'CronJob',
    });
    expect(resolveWorkload('p', {}, [{ kind: 'Job', name: 'migrate-42', controller: true }])).toEqual({
      workload: 'migrate-42',
      kind: 'Job',
    });
  });
  it('other owners as they are; the controller owner wins', () => {
    expect(
      resolveWorkload('db-0', {}, [
        { kind: 'Thing', name: 'not-controller', controller: false },
        { kind: 'StatefulSet', name: 'db', controller: true },
      ]),
    ).toEqual({ workload: 'db', kind: 'StatefulSet' });
  });
  it('no owner or a Node (static pod) → the pod itself', () => {
    expect(resolveWorkload('solo', {}, [])).toEqual({ workload: 'solo', kind: 'Pod' });
    expect(resolveWorkload('etcd-n1', {}, [{ kind: 'Node', name: 'n1', controller: true }])).toEqual({
      workload: 'etcd-n1',
      kind: 'Pod',
    });
  });
});

describe('podRecord', () => {
  it('strips the runtime prefix, keeps image, start time and exec probes; skips containers without an id', () => {
    const pod = podRecord(
      fakePod({
        name: 'web-1',
        uid: 'u1',
        labels: { app: 'web' },
        annotations: { note: 'x' },
        containers: [
          {
            name: 'app',
            containerID: `containerd://${'a'.repeat(64)}`,
            startedAt: '2026-11-28T10:00:05Z',
            execProbe: ['cat', '/tmp/ok'],
          },
          { name: 'sidecar' },
        ],
      }),
    );
    expect(pod).toMatchObject({
      uid: 'u1',
      namespace: 'default',
      name: 'web-1',
      nodeName: 'node-a',
      labels: { app: 'web' },
    });
    expect(pod.containers).toEqual([
      {
        id: 'a'.repeat(64),
        runtime: 'containerd',
        name: 'app',
        image: 'docker.io/library/nginx:1.27',
        imageId: 'docker.io/library/nginx@sha256:0123',
        startTime: '2026-11-28T10:00:05Z',
        execProbes: [['cat', '/tmp/ok']],
      },
    ]);
  });
  it('reads Date timestamps of the typed client like strings', () => {
    const raw = fakePod({ name: 'p', uid: 'u', containers: [{ name: 'c', containerID: 'cri-o://' + 'b'.repeat(64) }] });
    const statuses = (raw['status'] as { containerStatuses: Array<{ state: { running: { startedAt: unknown } } }> })
      .containerStatuses;
    statuses[0]!.state.running.startedAt = new Date('2026-11-28T10:00:01Z');
    expect(podRecord(raw).containers[0]).toMatchObject({ runtime: 'cri-o', startTime: '2026-11-28T10:00:01.000Z' });
  });
  it('refuses a pod without uid, namespace or name', () => {
    expect(() => podRecord({ metadata: { name: 'x' } })).toThrow(/metadata.uid, .namespace and .name are required/);
    expect(() => podRecord('nope')).toThrow(/not an object/);
  });
});
