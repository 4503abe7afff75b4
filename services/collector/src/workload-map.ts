import type { ContainerInfo, PodInfo } from '@vigil/policy-kernel';

/**
 * The enricher's per-node workload map (vigil.v1.WorkloadMap on vigil.workloads, JSON on the bus)
 * as the pods namespaced/podSelector/containerSelector policies are scoped with.
 *
 * Only the fields the collector uses are checked, and unknown fields are let through: the
 * contract only ever adds fields, and a newer enricher must not make older collectors drop maps.
 */
export interface NodeWorkloadMap {
  node: string;
  generation: number;
  /** When the enricher built it (RFC 3339), and the same in ms since the epoch. */
  time: string;
  builtAt: number;
  pods: PodInfo[];
}

/** A map the collector cannot use, with the field at fault ("pods[2].containers[0].id: ..."). */
export class WorkloadMapError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WorkloadMapError';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function nonEmptyString(o: Record<string, unknown>, key: string, at: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new WorkloadMapError(`${at}${key}: must be a non-empty string`);
  return v;
}

/** Absent and "" (proto3's default) mean the same: not known. */
function optionalString(o: Record<string, unknown>, key: string, at: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new WorkloadMapError(`${at}${key}: must be a string`);
  return v;
}

function container(value: unknown, at: string): ContainerInfo {
  if (!isRecord(value)) throw new WorkloadMapError(`${at}: must be an object`);
  const id = nonEmptyString(value, 'id', `${at}.`);
  // A "containerd://<id>" would never equal the id a cgroup name carries: the policy would
  // silently miss the container, so it is refused instead.
  if (id.includes('://')) throw new WorkloadMapError(`${at}.id: must be the bare id, without the runtime scheme`);
  const out: ContainerInfo = { id };
  const name = optionalString(value, 'name', `${at}.`);
  const image = optionalString(value, 'image', `${at}.`);
  if (name !== undefined) out.name = name;
  if (image !== undefined) out.image = image;
  return out;
}

function pod(value: unknown, at: string): PodInfo {
  if (!isRecord(value)) throw new WorkloadMapError(`${at}: must be an object`);
  const labels = value['labels'] ?? {};
  if (!isRecord(labels) || Object.values(labels).some((v) => typeof v !== 'string'))
    throw new WorkloadMapError(`${at}.labels: must map strings to strings`);
  const containers = value['containers'] ?? [];
  if (!Array.isArray(containers)) throw new WorkloadMapError(`${at}.containers: must be a list`);
  return {
    uid: nonEmptyString(value, 'uid', `${at}.`),
    namespace: nonEmptyString(value, 'namespace', `${at}.`),
    name: nonEmptyString(value, 'name', `${at}.`),
    labels: { ...(labels as Record<string, string>) },
    containers: containers.map((c, i) => container(c, `${at}.containers[${i}]`)),
  };
}

/**
 * The map of vigil.workloads under `key`, checked: throws WorkloadMapError naming the field at
 * fault. A map must name the node it is keyed by (a map filed under the wrong key would scope
 * one node's policies with another node's pods).
 */
export function parseWorkloadMap(key: string, value: unknown): NodeWorkloadMap {
  if (!isRecord(value)) throw new WorkloadMapError(`expected a WorkloadMap object, got ${describe(value)}`);
  const node = nonEmptyString(value, 'node_name', '');
  if (node !== key) throw new WorkloadMapError(`node_name: "${node}" under the key of node "${key}"`);
  const generation = value['generation'] ?? 0;
  if (typeof generation !== 'number' || !Number.isInteger(generation) || generation < 0)
    throw new WorkloadMapError('generation: must be a non-negative integer');
  const time = nonEmptyString(value, 'time', '');
  const builtAt = Date.parse(time);
  if (Number.isNaN(builtAt)) throw new WorkloadMapError(`time: "${time}" is not an RFC 3339 timestamp`);
  const pods = value['pods'] ?? [];
  if (!Array.isArray(pods)) throw new WorkloadMapError('pods: must be a list');
  const parsed = pods.map((p, i) => pod(p, `pods[${i}]`));
  const seen = new Set<string>();
  for (const [i, p] of parsed.entries()) {
    if (seen.has(p.uid)) throw new WorkloadMapError(`pods[${i}].uid: "${p.uid}" appears twice`);
    seen.add(p.uid);
  }
  return { node, generation, time, builtAt, pods: parsed };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value;
}

/**
 * The pods of collector.workloadsFile and of the workload map together. Pods are joined to
 * cgroups by uid, so one uid is one pod: where both name it, the map's entry wins — the map is
 * newer (the enricher builds it from the API server as pods change; the file is a static snapshot).
 */
export function mergePods(filePods: PodInfo[], mapPods: PodInfo[]): PodInfo[] {
  if (filePods.length === 0) return mapPods;
  const inMap = new Set(mapPods.map((p) => p.uid));
  return [...filePods.filter((p) => !inMap.has(p.uid)), ...mapPods];
}
