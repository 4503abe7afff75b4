import { resolveWorkload } from './workload-owner';

/** A container of a pod, as the enricher keeps it. */
export interface ContainerRecord {
  /** Container id without the runtime prefix: the id cgroup paths carry. */
  id: string;
  /** "containerd", "cri-o", "docker", … — the scheme of the status' containerID. */
  runtime: string;
  name: string;
  /** Image as the runtime reports it (status.image), else the spec's image. */
  image: string;
  imageId: string;
  /** RFC 3339, when the runtime reported the container started. */
  startTime?: string;
  /** Commands of its exec liveness/readiness/startup probes (Tetragon's maybe_exec_probe). */
  execProbes: string[][];
}

/** What the enricher keeps of a pod: only the fields events and the workload map need. */
export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  nodeName: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  workload: string;
  workloadKind: string;
  containers: ContainerRecord[];
  resourceVersion: string;
}

export class PodShapeError extends Error {
  constructor(reason: string) {
    super(`pod object: ${reason}`);
    this.name = 'PodShapeError';
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function stringMap(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/**
 * The list API of @kubernetes/client-node deserializes timestamps into Date objects while watch
 * events carry the JSON strings: both become RFC 3339 strings here.
 */
function timestamp(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** "containerd://abc…" → { runtime: "containerd", id: "abc…" }; an id without a scheme keeps runtime "". */
export function splitContainerId(containerId: string): { runtime: string; id: string } {
  const at = containerId.indexOf('://');
  return at < 0
    ? { runtime: '', id: containerId }
    : { runtime: containerId.slice(0, at), id: containerId.slice(at + 3) };
}

function execProbes(spec: Json | undefined): string[][] {
  if (!spec) return [];
  const out: string[][] = [];
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const exec = (spec[probe] as Json | undefined)?.['exec'] as Json | undefined;
    const command = exec?.['command'];
    if (Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === 'string'))
      out.push(command as string[]);
  }
  return out;
}

/**
 * Containers that have a runtime id: init, regular and ephemeral ones. A container the runtime
 * has not created yet has no containerID in its status and cannot be matched to a cgroup, so it
 * is left out until a later watch event brings its id.
 */
function containersOf(spec: Json, status: Json): ContainerRecord[] {
  const specs = new Map<string, Json>();
  for (const key of ['initContainers', 'containers', 'ephemeralContainers'])
    for (const c of list(spec[key])) specs.set(text(c['name']), c);
  const out: ContainerRecord[] = [];
  for (const key of ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']) {
    for (const s of list(status[key])) {
      const containerId = text(s['containerID']);
      if (!containerId) continue;
      const { runtime, id } = splitContainerId(containerId);
      const name = text(s['name']);
      const state = isObject(s['state']) ? s['state'] : {};
      const started =
        timestamp((state['running'] as Json | undefined)?.['startedAt']) ??
        timestamp((state['terminated'] as Json | undefined)?.['startedAt']);
      out.push({
        id,
        runtime,
        name,
        image: text(s['image']) || text(specs.get(name)?.['image']),
        imageId: text(s['imageID']),
        ...(started ? { startTime: started } : {}),
        execProbes: execProbes(specs.get(name)),
      });
    }
  }
  return out;
}

/** A Kubernetes Pod (watch JSON or the client's deserialized V1Pod) → PodRecord. */
export function podRecord(pod: unknown): PodRecord {
  if (!isObject(pod)) throw new PodShapeError('not an object');
  const meta = pod['metadata'];
  if (!isObject(meta)) throw new PodShapeError('metadata missing');
  const uid = text(meta['uid']);
  const namespace = text(meta['namespace']);
  const name = text(meta['name']);
  if (!uid || !namespace || !name)
    throw new PodShapeError(
      `metadata.uid, .namespace and .name are required (got "${uid}", "${namespace}", "${name}")`,
    );
  const spec = isObject(pod['spec']) ? pod['spec'] : {};
  const status = isObject(pod['status']) ? pod['status'] : {};
  const labels = stringMap(meta['labels']);
  const owner = resolveWorkload(
    name,
    labels,
    list(meta['ownerReferences']).map((r) => ({
      kind: text(r['kind']),
      name: text(r['name']),
      controller: r['controller'] === true,
    })),
  );
  return {
    uid,
    namespace,
    name,
    nodeName: text(spec['nodeName']),
    labels,
    annotations: stringMap(meta['annotations']),
    workload: owner.workload,
    workloadKind: owner.kind,
    containers: containersOf(spec, status),
    resourceVersion: text(meta['resourceVersion']),
  };
}
