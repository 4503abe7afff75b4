import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cgroupsInScope,
  labelsMatch,
  parseCgroupPath,
  readWorkloadFile,
  type CgroupEntry,
  type PodInfo,
} from '../src/index';

const UID = '0b5c3f9e-1d2a-4e8b-9c7d-6a5b4c3d2e1f';
const ID = 'a'.repeat(64);

describe('parseCgroupPath', () => {
  it.each([
    [
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope`,
      'containerd',
    ],
    [`/kubepods.slice/kubepods-pod${UID.replace(/-/g, '_')}.slice/crio-${ID}.scope`, 'crio'],
    [
      `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID.replace(/-/g, '_')}.slice/docker-${ID}.scope`,
      'docker',
    ],
    [`/machine.slice/kubepods-pod${UID.replace(/-/g, '_')}.slice/libpod-${ID}.scope`, 'podman'],
    [`/kubepods/burstable/pod${UID}/${ID}`, undefined],
  ])('%s', (p, runtime) => {
    expect(parseCgroupPath(p)).toEqual({ podUid: UID, containerId: ID, ...(runtime ? { runtime } : {}) });
  });

  it('a pod cgroup without a container, a plain container, and no workload', () => {
    expect(parseCgroupPath(`/kubepods/pod${UID}`)).toEqual({ podUid: UID });
    expect(parseCgroupPath(`/system.slice/docker-${ID}.scope`)).toEqual({ containerId: ID, runtime: 'docker' });
    expect(parseCgroupPath('/user.slice/user-0.slice/session-3.scope')).toEqual({});
  });
});

describe('readWorkloadFile', () => {
  const write = (content: string) => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-wl-')), 'workloads.json');
    fs.writeFileSync(f, content);
    return f;
  };
  it('reads pods with defaults', () => {
    expect(readWorkloadFile(write(JSON.stringify({ pods: [{ uid: UID, namespace: 'a', name: 'p' }] })))).toEqual([
      { uid: UID, namespace: 'a', name: 'p', labels: {}, containers: [] },
    ]);
  });
  it.each([
    ['{', /Expected property name|Unexpected end/],
    ['{"pods": {}}', /"pods" must be a list/],
    [JSON.stringify({ pods: [{ uid: UID, name: 'p' }] }), /pods\[0\]\.namespace must be a non-empty string/],
    [
      JSON.stringify({ pods: [{ uid: UID, namespace: 'a', name: 'p', labels: { x: 1 } }] }),
      /pods\[0\]\.labels must map strings to strings/,
    ],
    [
      JSON.stringify({ pods: [{ uid: UID, namespace: 'a', name: 'p', containers: [{}] }] }),
      /pods\[0\]\.containers must be a list/,
    ],
  ])('refuses %s precisely', (content, message) => {
    expect(() => readWorkloadFile(write(content))).toThrow(message);
  });
});

describe('scope', () => {
  const pods: PodInfo[] = [
    {
      uid: 'u1',
      namespace: 'a',
      name: 'web',
      labels: { app: 'web', env: 'prod' },
      containers: [{ id: 'c1', name: 'nginx' }],
    },
    { uid: 'u2', namespace: 'b', name: 'db', labels: { app: 'db' }, containers: [{ id: 'c2', name: 'pg' }] },
  ];
  const cgroups: CgroupEntry[] = [
    { path: '/p1', id: 1n, identity: { podUid: 'u1' } },
    { path: '/p1/c1', id: 11n, identity: { podUid: 'u1', containerId: 'c1' } },
    { path: '/p2/c2', id: 22n, identity: { podUid: 'u2', containerId: 'c2' } },
    { path: '/p3', id: 3n, identity: { podUid: 'unknown' } },
  ];
  it('by namespace, pod labels and container name', () => {
    expect(cgroupsInScope({ namespace: 'a' }, pods, cgroups)).toEqual([1n, 11n]);
    expect(
      cgroupsInScope({ podSelector: { matchLabels: { app: 'db' }, matchExpressions: [] } }, pods, cgroups),
    ).toEqual([22n]);
    expect(
      cgroupsInScope({ containerSelector: { matchLabels: { name: 'nginx' }, matchExpressions: [] } }, pods, cgroups),
    ).toEqual([11n]);
    expect(cgroupsInScope({ namespace: 'c' }, pods, cgroups)).toEqual([]);
  });
  it('label selector operators', () => {
    const l = { app: 'web', env: 'prod' };
    const sel = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', key: string, values: string[] = []) =>
      labelsMatch({ matchLabels: {}, matchExpressions: [{ key, operator, values }] }, l);
    expect([
      sel('In', 'env', ['prod']),
      sel('In', 'env', ['dev']),
      sel('NotIn', 'env', ['dev']),
      sel('NotIn', 'env', ['prod']),
    ]).toEqual([true, false, true, false]);
    expect([sel('Exists', 'app'), sel('Exists', 'x'), sel('DoesNotExist', 'x'), sel('DoesNotExist', 'app')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });
});
