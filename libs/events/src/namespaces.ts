/** Namespace inode numbers → Tetragon's Namespaces message. */
import type { Namespace, Namespaces } from './tetragon';

/** Inode number of each namespace of a task, 0 where the kernel lacks that kind (structurally RawNamespaces). */
export interface NamespaceInums {
  uts: number;
  ipc: number;
  mnt: number;
  pid: number;
  pidForChildren: number;
  net: number;
  time: number;
  timeForChildren: number;
  cgroup: number;
  user: number;
}

/**
 * Each namespace kind: its input field and its Tetragon key, in descriptor order. The Tetragon
 * keys are also the file names under /proc/<pid>/ns/.
 */
export const NAMESPACE_KINDS: ReadonlyArray<readonly [keyof NamespaceInums, keyof Namespaces]> = [
  ['uts', 'uts'],
  ['ipc', 'ipc'],
  ['mnt', 'mnt'],
  ['pid', 'pid'],
  ['pidForChildren', 'pid_for_children'],
  ['net', 'net'],
  ['time', 'time'],
  ['timeForChildren', 'time_for_children'],
  ['cgroup', 'cgroup'],
  ['user', 'user'],
];

/** Every kind 0: "not known / not supported". */
export function zeroNamespaces(): NamespaceInums {
  return { uts: 0, ipc: 0, mnt: 0, pid: 0, pidForChildren: 0, net: 0, time: 0, timeForChildren: 0, cgroup: 0, user: 0 };
}

/**
 * Tetragon sets every Namespace message (so each key is present, `{}` when the kernel lacks
 * that kind) and marks is_host by comparing with the host's namespaces, i.e. pid 1's, which the
 * caller reads (see process-cache readNamespaces(1)). Unlike Tetragon, an inum of 0 is never
 * "host": 0 means "not supported", not "same as the host".
 */
export function namespacesFrom(inums: NamespaceInums, host?: NamespaceInums): Namespaces {
  const out: Namespaces = {};
  for (const [from, to] of NAMESPACE_KINDS) {
    const inum = inums[from];
    const ns: Namespace = {};
    if (inum !== 0) {
      ns.inum = inum;
      if (host && host[from] === inum) ns.is_host = true;
    }
    out[to] = ns;
  }
  return out;
}
