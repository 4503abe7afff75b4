import { eventProcesses, type GetEventsResponse, type Process } from '@vigil/events';
import { parseCgroupPath } from '@vigil/policy-kernel';

/** What the tagger needs to know of a cached process: ProcessCache.get() satisfies it. */
export interface CgroupOfProcess {
  /** The cgroup path the process had at exec (or in /proc); "" for entries made by a fork. */
  readonly cgroupPath: string;
  readonly origin: 'exec' | 'fork' | 'procfs';
  /** "" while unknown. */
  readonly parentExecId: string;
}

export interface ContainerTaggerStats {
  /** Processes (process, parent, ancestors of every event) given a `docker` value. */
  tagged: number;
  /** Processes the cache no longer (or never) had: left without `docker`. */
  unresolved: number;
}

/** A fork copies its parent's cgroup; chains longer than this are not followed (cycles, runaway forks). */
const MAX_FORK_DEPTH = 32;

/**
 * Fills `docker` on every process of an event (process, parent, ancestors), as Tetragon does, so
 * the enricher can find the container and pod: the container id read from the process's cgroup
 * path with the parser the namespaced policies use (containerd, CRI-O, Docker, Podman; systemd
 * and cgroupfs drivers). A pod-level cgroup without a container gives the cgroup path itself,
 * from which the enricher still reads the pod uid. Host processes get nothing.
 *
 * The cgroup path comes from the process cache's entry (the kernel's exec record or /proc). An
 * entry made by a fork has no path of its own: the child is in its parent's cgroup, so the
 * parent's is used. Each lookup goes through `lookup`, which ProcessCache.get() counts in its
 * hits/misses.
 */
export class ContainerTagger {
  private readonly counters: ContainerTaggerStats = { tagged: 0, unresolved: 0 };
  /** cgroup path → docker value; paths repeat for every process of a container. */
  private readonly parsed = new Map<string, string>();

  constructor(private readonly lookup: (execId: string) => CgroupOfProcess | undefined) {}

  /** Fills the event's processes in place (the cache hands out copies, never its own objects). */
  tag(event: GetEventsResponse): void {
    for (const p of eventProcesses(event)) this.tagProcess(p);
  }

  stats(): ContainerTaggerStats {
    return { ...this.counters };
  }

  private tagProcess(p: Process): void {
    if (!p.exec_id || p.docker) return;
    const path = this.cgroupPath(p.exec_id);
    if (path === undefined) {
      this.counters.unresolved++;
      return;
    }
    const docker = this.dockerOf(path);
    if (docker) {
      p.docker = docker;
      this.counters.tagged++;
    }
  }

  /** The cgroup path of a process, through its fork parents; undefined when the cache has none. */
  private cgroupPath(execId: string): string | undefined {
    let id = execId;
    for (let depth = 0; depth <= MAX_FORK_DEPTH; depth++) {
      const entry = this.lookup(id);
      if (!entry) return undefined;
      if (entry.origin !== 'fork') return entry.cgroupPath;
      if (!entry.parentExecId) return undefined;
      id = entry.parentExecId;
    }
    return undefined;
  }

  private dockerOf(cgroupPath: string): string {
    let docker = this.parsed.get(cgroupPath);
    if (docker === undefined) {
      const identity = parseCgroupPath(cgroupPath);
      docker = identity.containerId ?? (identity.podUid ? cgroupPath : '');
      // Bounded: containers come and go for the node's lifetime; start over rather than grow.
      if (this.parsed.size >= 4096) this.parsed.clear();
      this.parsed.set(cgroupPath, docker);
    }
    return docker;
  }
}
