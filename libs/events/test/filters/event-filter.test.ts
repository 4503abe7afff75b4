import { describe, expect, it } from 'vitest';
import { compileEventFilter, eventTypeOf, FilterError, type EventFilter, type EventTypeName } from '../../src/filters';
import type { GetEventsResponse } from '../../src/tetragon';
import {
  CONTAINER_ID,
  exec,
  exit,
  kprobe,
  loader,
  lsm,
  nginx,
  pod,
  proc,
  shim,
  systemd,
  throttle,
  tracepoint,
  uprobe,
  usdt,
} from './events';

const allow = (...filters: EventFilter[]) => compileEventFilter(filters, []);
const deny = (...filters: EventFilter[]) => compileEventFilter([], filters);
const errorOf = (fn: () => unknown): FilterError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error('no FilterError thrown');
};

const nginxExec = exec({ process: nginx, parent: shim });
const hostShell = proc({ pid: 900, ppid: 1, binary: '/usr/bin/bash', args: ['-l'] });
const hostExec = exec({ process: hostShell, parent: systemd });

describe('eventTypeOf', () => {
  it('names the oneof member every kind of event holds', () => {
    expect(eventTypeOf(nginxExec)).toBe('PROCESS_EXEC');
    expect(eventTypeOf(exit({ process: nginx, parent: shim }))).toBe('PROCESS_EXIT');
    expect(eventTypeOf(kprobe({ process: nginx }))).toBe('PROCESS_KPROBE');
    expect(eventTypeOf(tracepoint({ process: nginx }))).toBe('PROCESS_TRACEPOINT');
    expect(eventTypeOf(lsm({ process: nginx }))).toBe('PROCESS_LSM');
    expect(eventTypeOf(uprobe({ process: nginx }))).toBe('PROCESS_UPROBE');
    expect(eventTypeOf(usdt({ process: nginx }))).toBe('PROCESS_USDT');
    expect(eventTypeOf(loader({ process: nginx }))).toBe('PROCESS_LOADER');
    expect(eventTypeOf(throttle())).toBe('PROCESS_THROTTLE');
  });

  it('is undefined for a response without an event', () => {
    expect(eventTypeOf({ node_name: 'node-a' } as GetEventsResponse)).toBeUndefined();
  });
});

describe('allow and deny lists', () => {
  it('let every event through when both are empty', () => {
    const pass = compileEventFilter([], []);
    expect(pass(nginxExec)).toBe(true);
    expect(pass(throttle())).toBe(true);
    expect(compileEventFilter(undefined, null)(hostExec)).toBe(true);
  });

  it('pass an event when any allow filter matches (OR between filters)', () => {
    const pass = allow({ binary_regex: ['nginx'] }, { binary_regex: ['bash'] });
    expect(pass(nginxExec)).toBe(true);
    expect(pass(hostExec)).toBe(true);
    expect(pass(exec({ process: shim, parent: systemd }))).toBe(false);
  });

  it('require every field of one filter to match (AND within a filter)', () => {
    const pass = allow({ binary_regex: ['nginx'], event_set: ['PROCESS_EXIT'] });
    expect(pass(exit({ process: nginx, parent: shim }))).toBe(true);
    expect(pass(nginxExec)).toBe(false);
  });

  it('let a deny match win over an allow match: the result is allow minus deny', () => {
    const pass = compileEventFilter([{ namespace: ['default'] }], [{ event_set: ['PROCESS_EXIT'] }]);
    expect(pass(nginxExec)).toBe(true);
    expect(pass(exit({ process: nginx, parent: shim }))).toBe(false);
    expect(pass(hostExec)).toBe(false);
  });

  it('drop the events any deny filter matches and keep the rest', () => {
    const pass = deny({ binary_regex: ['nginx'] }, { namespace: [''] });
    expect(pass(nginxExec)).toBe(false);
    expect(pass(hostExec)).toBe(false);
    expect(pass(exec({ process: proc({ pid: 4200, binary: '/bin/sh', pod: pod({}) }) }))).toBe(true);
  });

  it('treat a filter that sets nothing as matching every event', () => {
    expect(allow({})(throttle())).toBe(true);
    expect(deny({})(nginxExec)).toBe(false);
    expect(allow({ binary_regex: [], pid: [], health_check: null as unknown as boolean })(hostExec)).toBe(true);
  });
});

describe('process fields', () => {
  it('binary_regex matches process.binary anywhere unless anchored', () => {
    expect(allow({ binary_regex: ['nginx'] })(nginxExec)).toBe(true);
    expect(allow({ binary_regex: ['^/usr/sbin/nginx$'] })(nginxExec)).toBe(true);
    expect(allow({ binary_regex: ['^nginx'] })(nginxExec)).toBe(false);
    expect(allow({ binary_regex: ['/usr/sbin/.*', 'bash'] })(hostExec)).toBe(true);
    expect(allow({ binary_regex: ['^/usr/sbin/'] })(hostExec)).toBe(false);
  });

  it('binary_regex never matches an event without a process', () => {
    expect(allow({ binary_regex: ['.*'] })(throttle())).toBe(false);
  });

  it('arguments_regex matches process.arguments as Tetragon joins them', () => {
    expect(allow({ arguments_regex: ['-g "daemon off;"'] })(nginxExec)).toBe(true);
    expect(allow({ arguments_regex: ['^-g'] })(nginxExec)).toBe(true);
    expect(allow({ arguments_regex: ['daemon on'] })(nginxExec)).toBe(false);
  });

  it('pid matches the process ID, not the parent', () => {
    expect(allow({ pid: [4100] })(nginxExec)).toBe(true);
    expect(allow({ pid: [4000, 3900] })(nginxExec)).toBe(false);
  });

  it('in_init_tree compares process.in_init_tree, absent counting as false', () => {
    const init = exec({ process: proc({ pid: 4050, binary: '/pause', pod: pod({}), inInitTree: true }) });
    expect(allow({ in_init_tree: true })(init)).toBe(true);
    expect(allow({ in_init_tree: true })(nginxExec)).toBe(false);
    expect(allow({ in_init_tree: false })(nginxExec)).toBe(true);
    expect(allow({ in_init_tree: false })(init)).toBe(false);
  });

  it('container_id matches process.docker as a regular expression (^ for a prefix)', () => {
    expect(allow({ container_id: ['^2f00a734'] })(nginxExec)).toBe(true);
    expect(allow({ container_id: [CONTAINER_ID] })(nginxExec)).toBe(true);
    expect(allow({ container_id: ['^a734'] })(nginxExec)).toBe(false);
    expect(allow({ container_id: ['^2f00a734'] })(hostExec)).toBe(false);
  });
});

describe('parent and ancestors', () => {
  const grandchild = proc({ pid: 4300, ppid: 4100, binary: '/usr/bin/curl', args: ['http://10.0.0.1'], pod: pod({}) });

  it('parent_binary_regex matches the parent, and never an event without one', () => {
    expect(allow({ parent_binary_regex: ['containerd-shim'] })(nginxExec)).toBe(true);
    expect(allow({ parent_binary_regex: ['nginx'] })(nginxExec)).toBe(false);
    expect(allow({ parent_binary_regex: ['.*'] })(exec({ process: systemd }))).toBe(false);
  });

  it('parent_arguments_regex matches the parent arguments', () => {
    expect(allow({ parent_arguments_regex: ['-namespace k8s\\.io'] })(nginxExec)).toBe(true);
    expect(allow({ parent_arguments_regex: ['daemon'] })(nginxExec)).toBe(false);
  });

  it('ancestor_binary_regex matches the ancestors above the parent, not the parent itself', () => {
    const withAncestors = exec({ process: grandchild, parent: nginx, ancestors: [shim, systemd] });
    expect(allow({ ancestor_binary_regex: ['containerd-shim'] })(withAncestors)).toBe(true);
    expect(allow({ ancestor_binary_regex: ['systemd$'] })(withAncestors)).toBe(true);
    expect(allow({ ancestor_binary_regex: ['nginx'] })(withAncestors)).toBe(false);
    expect(allow({ ancestor_binary_regex: ['containerd-shim'] })(nginxExec)).toBe(false);
  });

  it('ancestor_binary_regex is rejected for event types whose ancestors are not enabled', () => {
    const ancestorEventTypes: EventTypeName[] = ['PROCESS_EXEC', 'PROCESS_EXIT'];
    const execOnly: EventFilter = { event_set: ['PROCESS_EXEC'], ancestor_binary_regex: ['bash'] };
    expect(() => compileEventFilter([execOnly], [], { ancestorEventTypes })).not.toThrow();
    expect(
      errorOf(() => compileEventFilter([{ ancestor_binary_regex: ['bash'] }], [], { ancestorEventTypes })).message,
    ).toBe(
      'allow_list[0].ancestor_binary_regex: ancestors are not enabled for PROCESS_KPROBE events, cannot filter on ancestors',
    );
    expect(() => compileEventFilter([{ ancestor_binary_regex: ['bash'] }], [])).not.toThrow();
  });

  it('pid_set matches the process, its parent or an ancestor carrying one of the PIDs', () => {
    const filter = allow({ pid_set: [4100] });
    expect(filter(nginxExec)).toBe(true);
    expect(filter(exec({ process: grandchild, parent: nginx }))).toBe(true);
    const greatGrandchild = proc({ pid: 4400, ppid: 4300, binary: '/bin/sh', pod: pod({}) });
    expect(filter(exec({ process: greatGrandchild, parent: grandchild, ancestors: [nginx, shim] }))).toBe(true);
    expect(filter(kprobe({ process: grandchild, parent: nginx }))).toBe(true);
    expect(filter(hostExec)).toBe(false);
  });

  it('pid_set cannot see a descendant beyond the parent when the event carries no ancestors', () => {
    const greatGrandchild = proc({ pid: 4400, ppid: 4300, binary: '/bin/sh', pod: pod({}) });
    expect(allow({ pid_set: [4100] })(exec({ process: greatGrandchild, parent: grandchild }))).toBe(false);
  });
});

describe('Kubernetes fields', () => {
  it('namespace matches the pod namespace, "" the host processes without a pod', () => {
    expect(allow({ namespace: ['default'] })(nginxExec)).toBe(true);
    expect(allow({ namespace: ['kube-system'] })(nginxExec)).toBe(false);
    expect(allow({ namespace: [''] })(hostExec)).toBe(true);
    expect(allow({ namespace: [''] })(nginxExec)).toBe(false);
    expect(allow({ namespace: ['kube-system', ''] })(hostExec)).toBe(true);
  });

  it('namespace_regex matches the pod namespace and never a host process', () => {
    const system = exec({ process: proc({ pid: 5000, binary: '/coredns', pod: pod({ namespace: 'kube-system' }) }) });
    expect(allow({ namespace_regex: ['^kube-'] })(system)).toBe(true);
    expect(allow({ namespace_regex: ['^kube-'] })(nginxExec)).toBe(false);
    expect(allow({ namespace_regex: ['.*'] })(hostExec)).toBe(false);
  });

  it('pod_regex matches the pod name and never a host process', () => {
    expect(allow({ pod_regex: ['^web-'] })(nginxExec)).toBe(true);
    expect(allow({ pod_regex: ['^api-'] })(nginxExec)).toBe(false);
    expect(allow({ pod_regex: ['.*'] })(hostExec)).toBe(false);
  });

  it('container_name_regex matches the container name', () => {
    expect(allow({ container_name_regex: ['^nginx$'] })(nginxExec)).toBe(true);
    expect(allow({ container_name_regex: ['sidecar'] })(nginxExec)).toBe(false);
    expect(allow({ container_name_regex: ['.*'] })(hostExec)).toBe(false);
  });

  it('labels select on pod labels with Kubernetes selector syntax', () => {
    expect(allow({ labels: ['app=web'] })(nginxExec)).toBe(true);
    expect(allow({ labels: ['app in (api, web)'] })(nginxExec)).toBe(true);
    expect(allow({ labels: ['app=web,tier=frontend'] })(nginxExec)).toBe(true);
    expect(allow({ labels: ['app=web,tier=backend'] })(nginxExec)).toBe(false);
    expect(allow({ labels: ['tier!=backend,!canary'] })(nginxExec)).toBe(true);
    expect(allow({ labels: ['app=api', 'tier'] })(nginxExec)).toBe(true);
    expect(allow({ labels: ['app=api', 'canary'] })(nginxExec)).toBe(false);
  });

  it('labels never match a host process, not even a selector every label set satisfies', () => {
    expect(allow({ labels: ['!canary'] })(hostExec)).toBe(false);
    expect(allow({ labels: [''] })(hostExec)).toBe(false);
    expect(allow({ labels: [''] })(nginxExec)).toBe(true);
  });

  it('health_check selects or drops the processes (or children) of a possible exec probe', () => {
    const probe = proc({
      pid: 4500,
      ppid: 4000,
      binary: '/bin/sh',
      args: ['-c', 'curl -f localhost'],
      pod: pod({ probe: true }),
    });
    const probeChild = proc({
      pid: 4501,
      ppid: 4500,
      binary: '/usr/bin/curl',
      args: ['-f', 'localhost'],
      pod: pod({}),
    });
    const probeExec = exec({ process: probe, parent: shim });
    const childExec = exec({ process: probeChild, parent: probe });
    expect(allow({ health_check: true })(probeExec)).toBe(true);
    expect(allow({ health_check: true })(childExec)).toBe(true);
    expect(allow({ health_check: true })(nginxExec)).toBe(false);
    expect(allow({ health_check: false })(nginxExec)).toBe(true);
    expect(allow({ health_check: false })(probeExec)).toBe(false);
    expect(deny({ health_check: true })(childExec)).toBe(false);
    expect(allow({ health_check: false })(throttle())).toBe(true);
  });
});

describe('event kind fields', () => {
  it('event_set matches the type of the event', () => {
    const execOnly = allow({ event_set: ['PROCESS_EXEC'] });
    expect(execOnly(nginxExec)).toBe(true);
    expect(execOnly(exit({ process: nginx, parent: shim }))).toBe(false);
    expect(execOnly(kprobe({ process: nginx }))).toBe(false);
    const hooks = allow({ event_set: ['PROCESS_KPROBE', 'PROCESS_LSM', 'PROCESS_USDT'] });
    expect(hooks(kprobe({ process: nginx }))).toBe(true);
    expect(hooks(lsm({ process: nginx }))).toBe(true);
    expect(hooks(usdt({ process: nginx }))).toBe(true);
    expect(hooks(tracepoint({ process: nginx }))).toBe(false);
    expect(allow({ event_set: ['PROCESS_THROTTLE'] })(throttle())).toBe(true);
  });

  it('policy_names matches the policy of kprobe, tracepoint, uprobe, LSM and USDT events', () => {
    const filter = allow({ policy_names: ['file-monitoring', 'shell-audit'] });
    expect(filter(kprobe({ process: nginx, policy_name: 'file-monitoring' }))).toBe(true);
    expect(filter(tracepoint({ process: nginx, policy_name: 'shell-audit' }))).toBe(true);
    expect(filter(lsm({ process: nginx, policy_name: 'file-monitoring' }))).toBe(true);
    expect(filter(uprobe({ process: nginx, policy_name: 'shell-audit' }))).toBe(true);
    expect(filter(usdt({ process: nginx, policy_name: 'shell-audit' }))).toBe(true);
    expect(filter(kprobe({ process: nginx, policy_name: 'network' }))).toBe(false);
    expect(filter(kprobe({ process: nginx }))).toBe(false);
    expect(filter(nginxExec)).toBe(false);
  });
});

describe('capabilities', () => {
  const SYS_ADMIN = 1n << 21n;
  const NET_RAW = 1n << 13n;
  const CHOWN = 1n;
  const privileged = exec({
    process: proc({
      pid: 6000,
      binary: '/usr/bin/tcpdump',
      caps: { effective: SYS_ADMIN | NET_RAW, permitted: SYS_ADMIN | NET_RAW | CHOWN },
    }),
  });

  it('any, all, exactly and none test one set of process.cap', () => {
    expect(allow({ capabilities: { effective: { any: ['CAP_SYS_ADMIN', 'CAP_BPF'] } } })(privileged)).toBe(true);
    expect(allow({ capabilities: { effective: { any: ['CAP_BPF'] } } })(privileged)).toBe(false);
    expect(allow({ capabilities: { effective: { all: ['CAP_SYS_ADMIN', 'CAP_NET_RAW'] } } })(privileged)).toBe(true);
    expect(allow({ capabilities: { effective: { all: ['CAP_SYS_ADMIN', 'CAP_CHOWN'] } } })(privileged)).toBe(false);
    expect(allow({ capabilities: { effective: { exactly: ['CAP_NET_RAW', 'CAP_SYS_ADMIN'] } } })(privileged)).toBe(
      true,
    );
    expect(allow({ capabilities: { permitted: { exactly: ['CAP_NET_RAW', 'CAP_SYS_ADMIN'] } } })(privileged)).toBe(
      false,
    );
    expect(allow({ capabilities: { effective: { none: ['CAP_CHOWN'] } } })(privileged)).toBe(true);
    expect(allow({ capabilities: { effective: { none: ['CAP_NET_RAW'] } } })(privileged)).toBe(false);
  });

  it('requires every set given to match', () => {
    const both = { effective: { any: ['CAP_SYS_ADMIN'] }, permitted: { all: ['CAP_CHOWN'] } };
    expect(allow({ capabilities: both })(privileged)).toBe(true);
    expect(allow({ capabilities: { ...both, inheritable: { any: ['CAP_CHOWN'] } } })(privileged)).toBe(false);
    expect(allow({ capabilities: { inheritable: { none: ['CAP_CHOWN'] } } })(privileged)).toBe(true);
  });

  it('never matches a process that carries no capabilities', () => {
    const bare = { ...hostShell };
    delete bare.cap;
    expect(allow({ capabilities: { effective: { none: ['CAP_SYS_ADMIN'] } } })(exec({ process: bare }))).toBe(false);
  });
});

describe('invalid filters', () => {
  it('name the filter, field and value of a bad regular expression', () => {
    expect(errorOf(() => compileEventFilter([{}, { binary_regex: ['(', 'x'] }], [])).message).toBe(
      'allow_list[1].binary_regex[0]: invalid regular expression "(": missing closing ): `(`',
    );
    expect(errorOf(() => compileEventFilter([], [{ pod_regex: ['web', '*'] }])).message).toBe(
      'deny_list[0].pod_regex[1]: invalid regular expression "*": missing argument to repetition operator: `*`',
    );
  });

  it('reject regular expressions that are not RE2, though JavaScript would take them', () => {
    const e = errorOf(() => allow({ arguments_regex: ['(?=secret)'] }));
    expect(e.path).toBe('allow_list[0].arguments_regex[0]');
    expect(e.detail).toContain('lookahead and lookbehind are not RE2 syntax');
    expect(errorOf(() => allow({ binary_regex: ['(a)\\1'] })).detail).toContain('backreferences are not RE2 syntax');
  });

  it('check every regular expression field', () => {
    const fields = [
      'binary_regex',
      'pod_regex',
      'arguments_regex',
      'parent_binary_regex',
      'parent_arguments_regex',
      'container_id',
      'ancestor_binary_regex',
      'container_name_regex',
      'namespace_regex',
    ] as const;
    for (const field of fields) {
      expect(errorOf(() => allow({ [field]: ['[a'] })).message).toBe(
        `allow_list[0].${field}[0]: invalid regular expression "[a": missing closing ]: \`[a\``,
      );
    }
  });

  it('name an unknown event type and list the known ones', () => {
    expect(errorOf(() => allow({ event_set: ['PROCESS_EXEC', 'PROCESS_EXECVE' as never] })).message).toBe(
      'allow_list[0].event_set[1]: unknown event type "PROCESS_EXECVE" (one of PROCESS_EXEC, PROCESS_EXIT, PROCESS_KPROBE, PROCESS_TRACEPOINT, PROCESS_LOADER, PROCESS_UPROBE, PROCESS_THROTTLE, PROCESS_LSM, PROCESS_USDT, TEST, RATE_LIMIT_INFO)',
    );
  });

  it('name an unknown capability, hinting at the enum spelling of DAC_OVERRIDE', () => {
    expect(errorOf(() => allow({ capabilities: { effective: { any: ['CAP_SYS_ADMIN', 'CAP_ROOT'] } } })).message).toBe(
      'allow_list[0].capabilities.effective.any[1]: unknown capability "CAP_ROOT"',
    );
    expect(errorOf(() => allow({ capabilities: { permitted: { all: ['CAP_DAC_OVERRIDE'] } } })).message).toBe(
      'allow_list[0].capabilities.permitted.all[0]: unknown capability "CAP_DAC_OVERRIDE" (Tetragon\'s enum spells it "DAC_OVERRIDE")',
    );
    expect(allow({ capabilities: { permitted: { none: ['DAC_OVERRIDE'] } } })(hostExec)).toBe(true);
  });

  it('require exactly one match set per capability set, as Tetragon', () => {
    expect(
      errorOf(() => allow({ capabilities: { effective: { any: ['CAP_BPF'], none: ['CAP_SYS_ADMIN'] } } })).message,
    ).toBe(
      'allow_list[0].capabilities.effective: a capability filter may define only one of any, all, exactly, none, got: any, none',
    );
    expect(errorOf(() => allow({ capabilities: { effective: {} } })).message).toBe(
      'allow_list[0].capabilities.effective: a capability filter must define exactly one of any, all, exactly, none',
    );
  });

  it('explain what is wrong with a label selector and where', () => {
    expect(errorOf(() => allow({ labels: ['app=web', 'app in (web'] })).message).toBe(
      'allow_list[0].labels[1]: invalid label selector "app in (web": found end of selector at offset 11, expected "," or ")"',
    );
  });

  it('reject cel_expression, which Vigil does not evaluate', () => {
    expect(errorOf(() => allow({ cel_expression: ['process_exec.process.pid > 1'] })).message).toBe(
      'allow_list[0].cel_expression: CEL expression filters are not supported by Vigil',
    );
  });

  it('reject unknown fields, suggesting the snake_case name of a camelCase one', () => {
    expect(errorOf(() => allow({ binaryRegex: ['x'] } as EventFilter)).message).toBe(
      'allow_list[0]: unknown field "binaryRegex" (did you mean "binary_regex"?)',
    );
    expect(errorOf(() => allow({ pids: [1] } as EventFilter)).message).toBe('allow_list[0]: unknown field "pids"');
  });

  it('reject values of the wrong type', () => {
    expect(errorOf(() => allow({ binary_regex: 'nginx' as never })).message).toBe(
      'allow_list[0].binary_regex: expected a list of strings, got "nginx"',
    );
    expect(errorOf(() => allow({ pid: [1, -2] })).message).toBe(
      'allow_list[0].pid[1]: expected a uint32 process ID, got number -2',
    );
    expect(errorOf(() => allow({ in_init_tree: 'yes' as never })).message).toBe(
      'allow_list[0].in_init_tree: expected true or false, got "yes"',
    );
    expect(errorOf(() => compileEventFilter([null as never], [])).message).toBe(
      'allow_list[0]: expected an object, got null',
    );
  });

  it('are FilterErrors carrying the path and the detail apart', () => {
    const e = errorOf(() => deny({ namespace_regex: ['ok'] }, { pid_set: [1.5] }));
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('FilterError');
    expect(e.path).toBe('deny_list[1].pid_set[0]');
    expect(e.detail).toBe('expected a uint32 process ID, got number 1.5');
  });
});
