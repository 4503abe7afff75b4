import { formatArguments, type Pod, type Process } from '@vigil/events';
import type { ContainerRef } from './container-ref';
import type { ContainerRecord, PodRecord } from './kubernetes/pod-record';

/**
 * The flag name added to Process.flags of a process whose pod was still unknown when its event
 * had to go out (waited the maximum, evicted from a full buffer, or shutdown). A Vigil addition
 * in Tetragon's space-separated flags string, like `truncCwd`.
 */
export const POD_UNKNOWN_FLAG = 'podUnknown';

/** What the pod cache can answer; PodCache satisfies it. */
export interface PodLookup {
  container(idOrPrefix: string): { pod: PodRecord; container: ContainerRecord } | undefined;
  pod(uid: string): PodRecord | undefined;
}

export type Resolution =
  { found: true; pod: PodRecord; container?: ContainerRecord } | { found: false; ref: ContainerRef };

/** The pod (and container) of a container reference; a container id decides over a pod uid. */
export function resolve(ref: ContainerRef, pods: PodLookup): Resolution {
  if (ref.containerId) {
    const match = pods.container(ref.containerId);
    if (match) return { found: true, pod: match.pod, container: match.container };
    // A container id the pod does not list yet: the pod's status lags behind the runtime.
    return { found: false, ref };
  }
  const pod = ref.podUid ? pods.pod(ref.podUid) : undefined;
  return pod ? { found: true, pod } : { found: false, ref };
}

/** Fills Tetragon's pod and docker fields of a process from its pod and container. */
export function applyPod(process: Process, pod: PodRecord, container: ContainerRecord | undefined): void {
  const out: Pod = { namespace: pod.namespace, name: pod.name, uid: pod.uid };
  if (container) {
    out.container = {
      // Tetragon's container id keeps the runtime scheme, as the pod status shows it.
      id: container.runtime ? `${container.runtime}://${container.id}` : container.id,
      name: container.name,
      image: { id: container.imageId, name: container.image },
      ...(container.startTime ? { start_time: container.startTime } : {}),
      ...(isExecProbe(process, container) ? { maybe_exec_probe: true } : {}),
    };
    process.docker = container.id;
  }
  out.pod_labels = { ...pod.labels };
  out.workload = pod.workload;
  out.workload_kind = pod.workloadKind;
  out.pod_annotations = { ...pod.annotations };
  process.pod = out;
}

/**
 * An event leaving without its pod: the flag, the container id in `docker` (not the cgroup path
 * the raw event may have carried) and what the cgroup path told of the pod.
 */
export function markPodUnknown(process: Process, ref: ContainerRef): void {
  const flags = process.flags ? process.flags.split(' ') : [];
  if (!flags.includes(POD_UNKNOWN_FLAG)) flags.push(POD_UNKNOWN_FLAG);
  process.flags = flags.join(' ');
  if (ref.containerId) process.docker = ref.containerId;
  else delete process.docker;
  if (ref.podUid || ref.containerId)
    process.pod = {
      ...(ref.podUid ? { uid: ref.podUid } : {}),
      ...(ref.containerId ? { container: { id: ref.containerId } } : {}),
    };
}

/** A process that may be one of the container's exec probes: same binary and arguments. */
function isExecProbe(process: Process, container: ContainerRecord): boolean {
  if (!process.binary || container.execProbes.length === 0) return false;
  const binary = process.binary;
  const args = process.arguments ?? '';
  return container.execProbes.some(([command, ...rest]) => {
    // The probe names a command the container's PATH resolves; the event has the resolved path.
    const sameBinary = command === binary || (!command!.includes('/') && binary.endsWith(`/${command}`));
    return sameBinary && formatArguments(rest) === args;
  });
}
