import type { WorkloadMap } from '@vigil/contracts';
import { cgroupsInScope, parseCgroupPath, type PodInfo } from '@vigil/policy-kernel';
import { describe, expect, it } from 'vitest';
import { mergePods, parseWorkloadMap, WorkloadMapError } from '../src/workload-map';

const UID = '0f3c2a1e-4b5d-4c6e-8f90-123456789abc';
const ID = 'a'.repeat(64);

/** A map as the enricher publishes it (services/enricher/src/domain/workload-publisher.ts). */
function map(overrides: Partial<WorkloadMap> = {}): WorkloadMap {
  return {
    node_name: 'node-a',
    generation: 3,
    time: '2026-01-02T03:04:05.000Z',
    pods: [
      {
        uid: UID,
        namespace: 'shop',
        name: 'cart-7d9f-x2x',
        labels: { app: 'cart' },
        workload: 'cart',
        workload_kind: 'Deployment',
        containers: [
          { id: ID, name: 'app', image: 'example.com/cart:1', runtime: 'containerd' },
          { id: 'b'.repeat(64), name: 'sidecar', image: '', runtime: 'containerd' },
        ],
      },
    ],
    ...overrides,
  };
}

/** The map with one field of the first pod replaced (as JSON off the bus could hold anything). */
function withPod(field: string, value: unknown): unknown {
  const m = map() as unknown as { pods: Array<Record<string, unknown>> };
  m.pods[0]![field] = value;
  return m;
}

const reason = (key: string, value: unknown): string => {
  try {
    parseWorkloadMap(key, value);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkloadMapError);
    return (err as Error).message;
  }
  throw new Error('the map was accepted');
};

describe('parseWorkloadMap: the WorkloadMap as PodInfo', () => {
  it('gives each pod its namespace, name, uid, labels and containers (ids, names; empty strings are unknown)', () => {
    const m = parseWorkloadMap('node-a', map());
    expect(m).toEqual({
      node: 'node-a',
      generation: 3,
      time: '2026-01-02T03:04:05.000Z',
      builtAt: Date.parse('2026-01-02T03:04:05.000Z'),
      pods: [
        {
          uid: UID,
          namespace: 'shop',
          name: 'cart-7d9f-x2x',
          labels: { app: 'cart' },
          containers: [
            { id: ID, name: 'app', image: 'example.com/cart:1' },
            { id: 'b'.repeat(64), name: 'sidecar' },
          ],
        },
      ],
    });
  });

  it('scopes a namespaced policy to the cgroups of the pods it names', () => {
    const { pods } = parseWorkloadMap('node-a', map());
    const podPath = `/kubepods.slice/kubepods-pod${UID.replace(/-/g, '_')}.slice`;
    const cgroups = [
      { path: podPath, id: 10n, identity: parseCgroupPath(podPath) },
      {
        path: `${podPath}/cri-containerd-${ID}.scope`,
        id: 11n,
        identity: parseCgroupPath(`${podPath}/cri-containerd-${ID}.scope`),
      },
    ];
    expect(cgroupsInScope({ namespace: 'shop' }, pods, cgroups)).toEqual([10n, 11n]);
    expect(cgroupsInScope({ namespace: 'default' }, pods, cgroups)).toEqual([]);
    const app = { matchLabels: { name: 'app' }, matchExpressions: [] };
    expect(cgroupsInScope({ containerSelector: app }, pods, cgroups)).toEqual([11n]);
  });

  it('takes fields a newer contract adds, and an empty node (no pods: none of its policies apply)', () => {
    expect(parseWorkloadMap('node-a', { ...map(), zone: 'eu' }).pods).toHaveLength(1);
    expect(
      parseWorkloadMap('node-a', { node_name: 'node-a', generation: 1, time: '2026-01-02T03:04:05Z' }).pods,
    ).toEqual([]);
  });

  it('refuses what the collector cannot use, naming the field', () => {
    expect(reason('node-a', 'pods')).toBe('expected a WorkloadMap object, got string');
    expect(reason('node-a', null)).toBe('expected a WorkloadMap object, got null');
    expect(reason('node-b', map())).toBe('node_name: "node-a" under the key of node "node-b"');
    expect(reason('node-a', map({ time: 'yesterday' }))).toBe('time: "yesterday" is not an RFC 3339 timestamp');
    expect(reason('node-a', map({ generation: -1 }))).toBe('generation: must be a non-negative integer');
    expect(reason('node-a', { ...map(), pods: {} })).toBe('pods: must be a list');
    expect(reason('node-a', withPod('uid', ''))).toBe('pods[0].uid: must be a non-empty string');
    expect(reason('node-a', withPod('namespace', 7))).toBe('pods[0].namespace: must be a non-empty string');
    expect(reason('node-a', withPod('labels', { app: 1 }))).toBe('pods[0].labels: must map strings to strings');
    expect(reason('node-a', withPod('containers', [{ name: 'app' }]))).toBe(
      'pods[0].containers[0].id: must be a non-empty string',
    );
    expect(reason('node-a', withPod('containers', [{ id: `containerd://${ID}` }]))).toBe(
      'pods[0].containers[0].id: must be the bare id, without the runtime scheme',
    );
    expect(reason('node-a', withPod('containers', [{ id: ID, name: 5 }]))).toBe(
      'pods[0].containers[0].name: must be a string',
    );
    const twice = map();
    twice.pods.push({ ...twice.pods[0]!, name: 'other' });
    expect(reason('node-a', twice)).toBe(`pods[1].uid: "${UID}" appears twice`);
  });
});

describe('mergePods: the workloads file and the map', () => {
  const pod = (uid: string, name: string, labels: Record<string, string> = {}): PodInfo => ({
    uid,
    namespace: 'shop',
    name,
    labels,
    containers: [],
  });

  it('keeps the pods of both; on a uid both name, the map (newer) wins', () => {
    const file = [pod('u1', 'from-file', { v: 'old' }), pod('u2', 'only-in-file')];
    const fromMap = [pod('u1', 'from-map', { v: 'new' }), pod('u3', 'only-in-map')];
    expect(mergePods(file, fromMap).map((p) => `${p.uid}:${p.name}:${p.labels['v'] ?? ''}`)).toEqual([
      'u2:only-in-file:',
      'u1:from-map:new',
      'u3:only-in-map:',
    ]);
  });

  it('is either source alone when the other is empty', () => {
    const one = [pod('u1', 'a')];
    expect(mergePods([], one)).toEqual(one);
    expect(mergePods(one, [])).toEqual(one);
  });
});
