import { timestampFromEpochNs, type GetEventsResponse } from '@vigil/events';
import { describe, expect, it } from 'vitest';
import { eventToRow, RowMappingError } from '../src';
import { at, exec, exit, fleetEvents, P3, P4, P5, P7, Q3, tcpConnect, ts } from './fixtures/fleet';

describe('eventToRow', () => {
  it('maps an exec: process, parent, pod, container, labels sorted by key', () => {
    const row = eventToRow(exec(P4, 20));
    expect(row).toMatchObject({
      time_ns: at(20),
      node_name: 'node-a',
      event_type: 'process_exec',
      exec_id: P4.exec_id,
      parent_exec_id: P3.exec_id,
      pid: 201,
      uid: 0,
      process_binary: '/usr/bin/curl',
      arguments: 'https://10.0.0.5',
      cwd: '/',
      flags: 'execve',
      parent_binary: '/bin/bash',
      parent_pid: 200,
      ancestor_exec_ids: [P3.exec_id],
      ancestor_binaries: ['/bin/bash'],
      pod_namespace: 'shop',
      pod_name: 'web-1',
      pod_label_keys: ['app', 'tier'],
      pod_label_values: ['web', 'front'],
      container_id: 'containerd://c0ffee',
      container_name: 'nginx',
      container_image: 'nginx:1.27',
      workload: 'web',
      workload_kind: 'Deployment',
      policy_name: '',
      action: '',
      args: '',
      exit_code: 0,
      exit_signal: '',
      net_daddr: '',
    });
    expect(row.event_id).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(row.event_json)).toEqual(exec(P4, 20));
  });

  it('keeps the ancestors list nearest first after the parent', () => {
    const event = exec(P7, 50);
    event.process_exec!.ancestors = [P3, P4];
    expect(eventToRow(event).ancestor_binaries).toEqual(['/bin/sh', '/bin/bash', '/usr/bin/curl']);
  });

  it('maps exit code and signal', () => {
    expect(eventToRow(exit(P7, 52, 7 << 8))).toMatchObject({
      event_type: 'process_exit',
      exit_code: 7,
      exit_signal: '',
    });
    expect(eventToRow(exit(P5, 31, 9))).toMatchObject({ exit_code: 0, exit_signal: 'SIGKILL' });
  });

  it('maps a kprobe: policy, function, action, args, return and the connection', () => {
    const row = eventToRow(tcpConnect(P4, 20.5, '10.0.0.5', 443));
    expect(row).toMatchObject({
      event_type: 'process_kprobe',
      policy_name: 'connect-watch',
      function_name: 'tcp_connect',
      action: 'KPROBE_ACTION_POST',
      net_family: 'AF_INET',
      net_protocol: 'IPPROTO_TCP',
      net_saddr: '10.1.0.2',
      net_sport: 40_021,
      net_daddr: '10.0.0.5',
      net_dport: 443,
    });
    expect(JSON.parse(row.args)).toEqual([
      expect.objectContaining({ sock_arg: expect.objectContaining({ dport: 443 }) }),
    ]);
    const override = eventToRow(fleetEvents().at(-1)!);
    expect(override).toMatchObject({
      function_name: '__x64_sys_write',
      action: 'KPROBE_ACTION_OVERRIDE',
      return_value: '{"int_arg":-1}',
    });
  });

  it('names tracepoints subsys/event and reads sockaddr arguments (connect(2))', () => {
    expect(eventToRow(fleetEvents()[18]!).function_name).toBe('raw_syscalls/sys_enter');
    const connect: GetEventsResponse = {
      process_kprobe: {
        process: Q3,
        function_name: '__sys_connect',
        args: [{ int_arg: 3 }, { sockaddr_arg: { family: 'AF_INET6', addr: 'fd00::1', port: 8443 } }],
        policy_name: 'connect-watch',
      },
      node_name: 'node-b',
      time: ts(5),
    };
    expect(eventToRow(connect)).toMatchObject({
      net_family: 'AF_INET6',
      net_daddr: 'fd00::1',
      net_dport: 8443,
      net_protocol: '',
    });
  });

  it('refuses events that cannot be rows, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ node_name: 'x', time: ts(0) }, 'no event payload'],
      [{ ...exec(P4, 1), process_exit: {} }, 'several event payloads (process_exec, process_exit)'],
      [{ process_exec: { process: P4 } }, 'time: missing'],
      [{ process_exec: { process: P4 }, time: 'yesterday' }, 'time: "yesterday" is not an RFC 3339 timestamp'],
      [{ process_exec: { process: P4 }, time: '2200-01-01T00:00:00Z' }, 'outside 1970-01-01'],
      ['a string', 'not a JSON object'],
    ];
    for (const [event, reason] of cases) {
      expect(() => eventToRow(event as GetEventsResponse)).toThrow(RowMappingError);
      expect(() => eventToRow(event as GetEventsResponse)).toThrow(reason);
    }
  });
});

describe('event_id', () => {
  it('is the same for every copy of an event, whatever its key order', () => {
    const event = tcpConnect(P4, 20.5, '10.0.0.5', 443);
    const reordered = reverseKeys(event) as GetEventsResponse;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(event));
    expect(eventToRow(reordered).event_id).toBe(eventToRow(event).event_id);
  });

  it('does not depend on the pod context the enricher adds', () => {
    const raw = exec({ ...P4, pod: undefined }, 20);
    expect(eventToRow(raw).event_id).toBe(eventToRow(exec(P4, 20)).event_id);
  });

  it('differs between distinct events: every event of the fleet has its own', () => {
    const ids = fleetEvents().map((e) => eventToRow(e).event_id);
    expect(new Set(ids).size).toBe(ids.length);
    // One ns apart, another thread, other arguments: each is another event.
    const base = tcpConnect(P4, 20.5, '10.0.0.5', 443);
    const later = { ...base, time: timestampFromEpochNs(at(20.5) + 1n) };
    const thread = { ...base, process_kprobe: { ...base.process_kprobe!, process: { ...P4, tid: 999 } } };
    const other = tcpConnect(P4, 20.5, '10.0.0.6', 443);
    const variants = [base, later, thread, other].map((e) => eventToRow(e as GetEventsResponse).event_id);
    expect(new Set(variants).size).toBe(4);
  });
});

/** The same value with every object's keys in reverse order (another producer's serialisation). */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reverseKeys(v)]),
  );
}
