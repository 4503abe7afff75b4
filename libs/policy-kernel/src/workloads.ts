/**
 * Workloads on this node, for TracingPolicyNamespaced, podSelector and containerSelector: which
 * cgroups belong to which pod and container. Until the enricher publishes the workload map,
 * the local source is the cgroup tree itself (kubelet's pod<uid> and the runtimes' container-id
 * naming for containerd, CRI-O, Docker and Podman) plus a static mapping file giving each pod
 * its namespace, name and labels.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LabelSelector } from '@vigil/policy';

export interface ContainerInfo {
  id: string;
  name?: string;
  image?: string;
}

export interface PodInfo {
  uid: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  containers: ContainerInfo[];
}

/** What a cgroup path says about its workload. */
export interface CgroupIdentity {
  podUid?: string;
  containerId?: string;
  runtime?: 'containerd' | 'crio' | 'docker' | 'podman';
}

const POD =
  /(?:^|[/_-])pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?(?:\/|$)/;
const CONTAINER: Array<[RegExp, CgroupIdentity['runtime']]> = [
  [/cri-containerd-([0-9a-f]{64})\.scope$/, 'containerd'],
  [/crio-([0-9a-f]{64})\.scope$/, 'crio'],
  [/docker-([0-9a-f]{64})\.scope$/, 'docker'],
  [/libpod-([0-9a-f]{64})\.scope$/, 'podman'],
  // cgroupfs driver: the bare id as the last component (kubepods/burstable/pod<uid>/<id>, docker/<id>).
  [/\/([0-9a-f]{64})$/, undefined],
];

/** Pod uid and container id from a cgroup path (systemd or cgroupfs naming). */
export function parseCgroupPath(cgroupPath: string): CgroupIdentity {
  const out: CgroupIdentity = {};
  const pod = POD.exec(cgroupPath);
  if (pod) out.podUid = pod[1]!.replace(/_/g, '-');
  for (const [re, runtime] of CONTAINER) {
    const m = re.exec(cgroupPath);
    if (m) {
      out.containerId = m[1];
      if (runtime) out.runtime = runtime;
      break;
    }
  }
  return out;
}

export class WorkloadFileError extends Error {
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'WorkloadFileError';
  }
}

/**
 * The static mapping file: `{ "pods": [{ "uid", "namespace", "name", "labels"?, "containers"?: [{ "id", "name"?, "image"? }] }] }`.
 * Bad content is refused with the entry and field at fault.
 */
export function readWorkloadFile(file: string): PodInfo[] {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WorkloadFileError(file, (err as Error).message);
  }
  const pods = (doc as { pods?: unknown }).pods;
  if (!Array.isArray(pods)) throw new WorkloadFileError(file, '"pods" must be a list');
  return pods.map((p: Record<string, unknown>, i): PodInfo => {
    const at = `pods[${i}]`;
    for (const k of ['uid', 'namespace', 'name'])
      if (typeof p[k] !== 'string' || p[k] === '')
        throw new WorkloadFileError(file, `${at}.${k} must be a non-empty string`);
    const labels = (p['labels'] ?? {}) as Record<string, unknown>;
    if (typeof labels !== 'object' || Object.values(labels).some((v) => typeof v !== 'string'))
      throw new WorkloadFileError(file, `${at}.labels must map strings to strings`);
    const containers = (p['containers'] ?? []) as ContainerInfo[];
    if (!Array.isArray(containers) || containers.some((c) => typeof c?.id !== 'string'))
      throw new WorkloadFileError(file, `${at}.containers must be a list of { id, name?, image? }`);
    return {
      uid: p['uid'] as string,
      namespace: p['namespace'] as string,
      name: p['name'] as string,
      labels: labels as Record<string, string>,
      containers,
    };
  });
}

export interface CgroupEntry {
  /** Path relative to the cgroup2 root, "/kubepods.slice/...". */
  path: string;
  /** cgroup v2 id (the directory's inode number, as bpf_get_current_cgroup_id returns). */
  id: bigint;
  identity: CgroupIdentity;
}

/** Every cgroup under the root that belongs to a pod. */
export function scanPodCgroups(root: string): CgroupEntry[] {
  const out: CgroupEntry[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 16) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // removed while scanning
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const full = path.join(dir, e.name);
      const rel = full.slice(root.length);
      const identity = parseCgroupPath(rel);
      if (identity.podUid) {
        try {
          out.push({ path: rel, id: BigInt(fs.statSync(full, { bigint: true }).ino), identity });
        } catch {
          continue;
        }
      }
      walk(full, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

/** Kubernetes label selector semantics (matchLabels AND matchExpressions). */
export function labelsMatch(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  return sel.matchExpressions.every((e) => {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In':
        return has && e.values.includes(labels[e.key]!);
      case 'NotIn':
        return !has || !e.values.includes(labels[e.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}

export interface WorkloadScope {
  /** Only pods of this namespace (TracingPolicyNamespaced). */
  namespace?: string;
  podSelector?: LabelSelector;
  /** Matched against a container's labels: its name as `name` (Tetragon's containerSelector). */
  containerSelector?: LabelSelector;
}

/** The cgroups of the workloads in scope: a pod's own cgroup and its containers'. */
export function cgroupsInScope(scope: WorkloadScope, pods: PodInfo[], cgroups: CgroupEntry[]): bigint[] {
  const byUid = new Map(pods.map((p) => [p.uid, p]));
  const ids: bigint[] = [];
  for (const cg of cgroups) {
    const pod = byUid.get(cg.identity.podUid!);
    if (!pod) continue;
    if (scope.namespace !== undefined && pod.namespace !== scope.namespace) continue;
    if (!labelsMatch(scope.podSelector, pod.labels)) continue;
    if (scope.containerSelector) {
      // A container selector needs a container: the pod-level cgroup alone does not qualify.
      if (!cg.identity.containerId) continue;
      const c = pod.containers.find((x) => x.id === cg.identity.containerId);
      if (!c || !labelsMatch(scope.containerSelector, { name: c.name ?? '' })) continue;
    }
    ids.push(cg.id);
  }
  return ids;
}
