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

/** Output key for each input field, in descriptor order. */
const KEYS: ReadonlyArray<readonly [keyof NamespaceInums, keyof Namespaces]> = [
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

/**
 * Tetragon sets every Namespace message (so each key is present, `{}` when the kernel lacks
 * that kind) and marks is_host by comparing with the host's namespaces, i.e. pid 1's, which the
 * caller reads (see process-cache readNamespaces(1)). Unlike Tetragon, an inum of 0 is never
 * "host": 0 means "not supported", not "same as the host".
 */
export function namespacesFrom(inums: NamespaceInums, host?: NamespaceInums): Namespaces {
  const out: Namespaces = {};
  for (const [from, to] of KEYS) {
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
