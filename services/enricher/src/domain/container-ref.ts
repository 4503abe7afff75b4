import type { Process } from '@vigil/events';
import { parseCgroupPath } from '@vigil/policy-kernel';

/** Which container (and pod) a process runs in, as far as the node could tell. */
export interface ContainerRef {
  /** Full id, or the prefix Tetragon-style `docker` fields carry (≥ 12 hex digits). */
  containerId?: string;
  /** From kubelet's pod<uid> cgroup naming, when the path has it. */
  podUid?: string;
}

const CONTAINER_ID = /^[0-9a-f]{12,64}$/;

/**
 * The container of a process from its `docker` field. On vigil.events.raw that field holds what
 * the node knows: a container id (full, or truncated as Tetragon's is) or the process's cgroup
 * path / cgroup name ("/kubepods.slice/…/cri-containerd-<id>.scope", "docker-<id>.scope"), read
 * with the same parser the collector's namespaced policies use (containerd, CRI-O, Docker and
 * Podman naming, systemd and cgroupfs drivers). Undefined for host processes.
 */
export function containerRefOf(process: Process): ContainerRef | undefined {
  const docker = process.docker?.trim();
  if (!docker) return undefined;
  if (CONTAINER_ID.test(docker)) return { containerId: docker };
  const identity = parseCgroupPath(docker.startsWith('/') ? docker : `/${docker}`);
  if (!identity.containerId && !identity.podUid) return undefined;
  return {
    ...(identity.containerId ? { containerId: identity.containerId } : {}),
    ...(identity.podUid ? { podUid: identity.podUid } : {}),
  };
}
