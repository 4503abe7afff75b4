/**
 * Events as the pipeline emits them, for the filter tests: processes through makeProcess (key
 * order, omission rules), exec and exit through the response builders, hook events in the shape
 * of hook-events.ts.
 */
import { formatArguments } from '../../src/args';
import { capabilitiesFromMasks, type CapabilityMasks } from '../../src/capabilities';
import { execId } from '../../src/exec-id';
import { flagsToString, ProcessFlag } from '../../src/flags';
import type {
  KprobeArgument,
  ProcessKprobe,
  ProcessLsm,
  ProcessTracepoint,
  ProcessUprobe,
} from '../../src/hook-events';
import { execResponse, exitResponse } from '../../src/responses';
import { makeProcess, type EnvVar, type GetEventsResponse, type Pod, type Process } from '../../src/tetragon';

export const NODE = 'node-a';
const TIME = '2024-05-01T10:00:00.123456789Z';

export interface ProcessSpec {
  pid: number;
  ppid?: number;
  binary: string;
  args?: string[];
  pod?: Pod;
  /** Container ID as Tetragon puts it in process.docker (the first 31 characters). */
  docker?: string;
  caps?: Partial<CapabilityMasks>;
  inInitTree?: boolean;
  env?: EnvVar[];
  uid?: number;
}

export function proc(spec: ProcessSpec): Process {
  const ktime = (pid: number): bigint => 5_000_000_000n + BigInt(pid) * 1000n;
  return makeProcess({
    exec_id: execId(NODE, ktime(spec.pid), spec.pid),
    pid: spec.pid,
    uid: spec.uid ?? 0,
    cwd: '/',
    binary: spec.binary,
    arguments: formatArguments(spec.args ?? []),
    flags: flagsToString(ProcessFlag.execve | ProcessFlag.clone),
    start_time: TIME,
    auid: 4294967295,
    pod: spec.pod,
    docker: spec.docker,
    parent_exec_id: spec.ppid === undefined ? undefined : execId(NODE, ktime(spec.ppid), spec.ppid),
    cap: capabilitiesFromMasks({ permitted: 0n, effective: 0n, inheritable: 0n, ...spec.caps }),
    tid: spec.pid,
    in_init_tree: spec.inInitTree,
    environment_variables: spec.env,
  });
}

export function pod(fields: {
  namespace?: string;
  name?: string;
  container?: string;
  labels?: Record<string, string>;
  probe?: boolean;
}): Pod {
  const out: Pod = {
    namespace: fields.namespace ?? 'default',
    name: fields.name ?? 'web-7d4b9c6f5-x2x8p',
    container: {
      id: 'containerd://2f00a73446e0c9a7f63e1ab4b04b9b7e9d9c2a3b8f1e4c5d6a7b8c9d0e1f2a3b',
      name: fields.container ?? 'nginx',
      image: { id: 'docker.io/library/nginx@sha256:0d17b565c37b', name: 'docker.io/library/nginx:1.25' },
      start_time: TIME,
      pid: 1,
    },
    pod_labels: fields.labels ?? { app: 'web', tier: 'frontend' },
    workload: 'web',
    workload_kind: 'Deployment',
  };
  if (fields.probe) out.container!.maybe_exec_probe = true;
  return out;
}

export const CONTAINER_ID = '2f00a73446e0c9a7f63e1ab4b04b9b7';

/** A shell in the web pod and its parent, the container's init. */
export const nginx = proc({
  pid: 4100,
  ppid: 4000,
  binary: '/usr/sbin/nginx',
  args: ['-g', 'daemon off;'],
  pod: pod({}),
  docker: CONTAINER_ID,
});
export const shim = proc({
  pid: 3900,
  ppid: 1,
  binary: '/usr/bin/containerd-shim-runc-v2',
  args: ['-namespace', 'k8s.io'],
});
export const systemd = proc({ pid: 1, binary: '/usr/lib/systemd/systemd', args: ['--system'], inInitTree: false });

export interface Lineage {
  process: Process;
  parent?: Process;
  ancestors?: Process[];
}

export function exec(l: Lineage): GetEventsResponse {
  return execResponse({ ...l, nodeName: NODE, time: TIME });
}

export function exit(l: Lineage, waitStatus = 0): GetEventsResponse {
  return exitResponse({ ...l, nodeName: NODE, time: TIME, waitStatus });
}

type HookCommon = Lineage & { policy_name?: string; args?: KprobeArgument[] };

function hookBody(l: HookCommon): Record<string, unknown> {
  const body: Record<string, unknown> = { process: l.process };
  if (l.parent) body['parent'] = l.parent;
  return body;
}

export function kprobe(l: HookCommon & { function_name?: string }): GetEventsResponse {
  const body: ProcessKprobe = {
    ...hookBody(l),
    function_name: l.function_name ?? 'security_file_open',
    args: l.args ?? [{ file_arg: { path: '/etc/shadow', permission: '-rw-r-----' } }],
    action: 'KPROBE_ACTION_POST',
  };
  if (l.policy_name) body.policy_name = l.policy_name;
  if (l.ancestors?.length) body.ancestors = l.ancestors;
  return { process_kprobe: body, node_name: NODE, time: TIME };
}

export function tracepoint(l: HookCommon): GetEventsResponse {
  const body: ProcessTracepoint = { ...hookBody(l), subsys: 'syscalls', event: 'sys_enter_openat' };
  if (l.policy_name) body.policy_name = l.policy_name;
  return { process_tracepoint: body, node_name: NODE, time: TIME };
}

export function lsm(l: HookCommon): GetEventsResponse {
  const body: ProcessLsm = { ...hookBody(l), function_name: 'bprm_check_security' };
  if (l.policy_name) body.policy_name = l.policy_name;
  return { process_lsm: body, node_name: NODE, time: TIME };
}

export function uprobe(l: HookCommon): GetEventsResponse {
  const body: ProcessUprobe = { ...hookBody(l), path: '/usr/bin/bash', symbol: 'readline' };
  if (l.policy_name) body.policy_name = l.policy_name;
  return { process_uprobe: body, node_name: NODE, time: TIME };
}

/** Oneof members Vigil's GetEventsResponse type does not model; they exist in Tetragon's API. */
export function usdt(l: HookCommon): GetEventsResponse {
  const body = {
    ...hookBody(l),
    path: '/usr/bin/python3',
    provider: 'python',
    name: 'function__entry',
    policy_name: l.policy_name,
  };
  return { process_usdt: body, node_name: NODE, time: TIME } as unknown as GetEventsResponse;
}

export function throttle(): GetEventsResponse {
  return {
    process_throttle: { type: 'THROTTLE_START', cgroup: '/kubepods/burstable/pod1234' },
    node_name: NODE,
    time: TIME,
  } as unknown as GetEventsResponse;
}

export function loader(l: Lineage): GetEventsResponse {
  return {
    process_loader: { process: l.process, path: '/usr/lib/x86_64-linux-gnu/libssl.so.3', buildid: 'q83vEjRWeJA=' },
    node_name: NODE,
    time: TIME,
  };
}

/** A deep, frozen copy: a filter that writes to its input throws on it. */
export function frozen<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    Object.freeze(v);
    for (const child of Object.values(v)) freeze(child);
  };
  freeze(copy);
  return copy;
}
