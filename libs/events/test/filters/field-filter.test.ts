import { describe, expect, it } from 'vitest';
import { compileFieldFilters, FilterError, type FieldFilter } from '../../src/filters';
import type { GetEventsResponse } from '../../src/tetragon';
import { exec, exit, frozen, kprobe, nginx, pod, proc, shim, systemd, throttle } from './events';

const apply = (filters: FieldFilter[], event: GetEventsResponse): GetEventsResponse =>
  compileFieldFilters(filters)(event);
const errorOf = (filters: FieldFilter[]): string => {
  try {
    compileFieldFilters(filters);
  } catch (e) {
    expect(e).toBeInstanceOf(FilterError);
    return (e as Error).message;
  }
  throw new Error('no FilterError thrown');
};

const grandchild = proc({
  pid: 4300,
  ppid: 4100,
  binary: '/usr/bin/curl',
  args: ['-s', 'http://10.0.0.1'],
  pod: pod({}),
});
const execEvent = exec({ process: grandchild, parent: nginx, ancestors: [shim, systemd] });

describe('INCLUDE', () => {
  it('keeps only the listed fields of the event body, and everything outside it', () => {
    const out = apply([{ fields: { paths: ['process.binary', 'process.pid', 'parent.binary'] } }], execEvent);
    expect(out).toEqual({
      process_exec: { process: { pid: 4300, binary: '/usr/bin/curl' }, parent: { binary: '/usr/sbin/nginx' } },
      node_name: 'node-a',
      time: execEvent.time,
    });
    expect(Object.keys(out.process_exec!.process!)).toEqual(['pid', 'binary']);
  });

  it('keeps a whole message named by its path', () => {
    const out = apply([{ action: 'INCLUDE', fields: { paths: ['parent'] } }], execEvent);
    expect(out.process_exec).toEqual({ parent: nginx });
  });

  it('applies a path through a repeated message to every element', () => {
    const out = apply([{ fields: { paths: ['ancestors.binary'] } }], execEvent);
    expect(out.process_exec).toEqual({
      ancestors: [{ binary: '/usr/bin/containerd-shim-runc-v2' }, { binary: '/usr/lib/systemd/systemd' }],
    });
  });

  it('names one key of a string map', () => {
    const out = apply([{ fields: { paths: ['process.pod.pod_labels.app', 'process.pod.name'] } }], execEvent);
    expect(out.process_exec).toEqual({ process: { pod: { name: 'web-7d4b9c6f5-x2x8p', pod_labels: { app: 'web' } } } });
  });

  it('keeps an empty message where the path leads nowhere in this event', () => {
    const host = exec({ process: proc({ pid: 900, binary: '/usr/bin/bash' }) });
    expect(apply([{ fields: { paths: ['process.pod.name'] } }], host).process_exec).toEqual({ process: {} });
    expect(apply([{ fields: { paths: ['function_name'] } }], host).process_exec).toEqual({});
  });

  it('accepts lowerCamelCase segments and the protojson string form of the mask', () => {
    const camel = apply([{ fields: { paths: ['process.execId', 'process.parentExecId'] } }], execEvent);
    const snake = apply([{ fields: 'process.exec_id,process.parent_exec_id' }], execEvent);
    expect(camel).toEqual(snake);
    expect(Object.keys(snake.process_exec!.process!)).toEqual(['exec_id', 'parent_exec_id']);
  });

  it('keeps everything when no path is given', () => {
    expect(apply([{ fields: { paths: [] } }], execEvent)).toEqual(execEvent);
    expect(apply([{ event_set: ['PROCESS_EXEC'] }], execEvent)).toBe(execEvent);
  });

  it("lets a longer path win over a shorter one through it, as Tetragon's mask tree does", () => {
    const out = apply([{ fields: { paths: ['process', 'process.pid'] } }], execEvent);
    expect(out.process_exec).toEqual({ process: { pid: 4300 } });
  });
});

describe('EXCLUDE', () => {
  it('removes the listed fields and keeps the rest', () => {
    const out = apply(
      [{ action: 'EXCLUDE', fields: { paths: ['process.arguments', 'parent', 'ancestors'] } }],
      execEvent,
    );
    const { arguments: _removed, ...rest } = grandchild;
    expect(out).toEqual({ process_exec: { process: rest }, node_name: 'node-a', time: execEvent.time });
  });

  it('removes nested fields in every element of a repeated message', () => {
    const out = apply([{ action: 'EXCLUDE', fields: { paths: ['ancestors.cap', 'ancestors.ns'] } }], execEvent);
    expect(out.process_exec!.ancestors!.map((a) => 'cap' in a)).toEqual([false, false]);
    expect(out.process_exec!.ancestors![0]!.binary).toBe('/usr/bin/containerd-shim-runc-v2');
  });

  it('leaves an empty body when everything is removed', () => {
    const out = apply([{ action: 'EXCLUDE', fields: { paths: ['process', 'parent', 'ancestors'] } }], execEvent);
    expect(out.process_exec).toEqual({});
    expect(out.node_name).toBe('node-a');
  });

  it('removes nothing when no path is given', () => {
    expect(apply([{ action: 'EXCLUDE' }], execEvent)).toEqual(execEvent);
  });
});

describe('event sets and order', () => {
  const exitEvent = exit({ process: grandchild, parent: nginx }, 256);

  it('apply a filter only to the events of its event_set', () => {
    const filters: FieldFilter[] = [
      { event_set: ['PROCESS_EXIT'], action: 'EXCLUDE', fields: { paths: ['process.pid'] } },
    ];
    expect(apply(filters, execEvent)).toBe(execEvent);
    expect(apply(filters, exitEvent).process_exit!.process!.pid).toBeUndefined();
    expect(apply(filters, exitEvent).process_exit!.status).toBe(1);
  });

  it('apply it to the other events when invert_event_set', () => {
    const filters: FieldFilter[] = [
      { event_set: ['PROCESS_EXEC'], invert_event_set: true, action: 'EXCLUDE', fields: { paths: ['parent'] } },
    ];
    expect(apply(filters, execEvent)).toBe(execEvent);
    expect(apply(filters, exitEvent).process_exit!.parent).toBeUndefined();
    expect(apply(filters, kprobe({ process: grandchild, parent: nginx })).process_kprobe!.parent).toBeUndefined();
  });

  it('apply the filters one after the other', () => {
    // Tetragon's TestEventFieldFilters: an INCLUDE, then an EXCLUDE of part of what it kept.
    const out = apply(
      [
        { fields: { paths: ['parent', 'process.pid', 'process.uid', 'process.pod'] } },
        {
          action: 'EXCLUDE',
          fields: {
            paths: ['process.pid', 'process.pod.pod_labels', 'process.pod.container.image', 'process.pod.namespace'],
          },
        },
      ],
      execEvent,
    );
    const body = out.process_exec!;
    expect(body.parent).toEqual(nginx);
    expect(body.process!.uid).toBe(0);
    expect(body.process!.pid).toBeUndefined();
    expect(body.process!.pod!.name).toBe('web-7d4b9c6f5-x2x8p');
    expect(body.process!.pod!.container!.name).toBe('nginx');
    expect(body.process!.pod!.container!.image).toBeUndefined();
    expect(body.process!.pod!.pod_labels).toBeUndefined();
    expect(body.process!.pod!.namespace).toBeUndefined();
  });

  it("make slim exec events (Tetragon's example: drop parents, keep IDs of non-exec events)", () => {
    const filters: FieldFilter[] = [
      { action: 'EXCLUDE', fields: { paths: ['parent'] } },
      {
        event_set: ['PROCESS_EXEC'],
        invert_event_set: true,
        fields: { paths: ['process.exec_id', 'process.parent_exec_id', 'function_name'] },
      },
    ];
    expect(apply(filters, kprobe({ process: grandchild, parent: nginx, function_name: 'tcp_connect' }))).toEqual({
      process_kprobe: {
        process: { exec_id: grandchild.exec_id, parent_exec_id: grandchild.parent_exec_id },
        function_name: 'tcp_connect',
      },
      node_name: 'node-a',
      time: execEvent.time,
    });
    expect(apply(filters, execEvent).process_exec!.process).toEqual(grandchild);
  });

  it('leave events without a body alone', () => {
    const empty = { node_name: 'node-a' } as GetEventsResponse;
    expect(apply([{ action: 'EXCLUDE', fields: { paths: ['process'] } }], empty)).toBe(empty);
    const t = throttle();
    expect(apply([{ action: 'EXCLUDE', fields: { paths: ['process'] } }], t)).toEqual(t);
  });
});

describe('the input event', () => {
  it('is never changed, since streams share events', () => {
    const shared = frozen(execEvent);
    const filters = compileFieldFilters([
      { fields: { paths: ['process', 'parent.binary', 'ancestors.pid'] } },
      { action: 'EXCLUDE', fields: { paths: ['process.pod.pod_labels.app', 'process.cap'] } },
    ]);
    const out = filters(shared);
    expect(shared).toEqual(execEvent);
    expect(out.process_exec!.process!.pod!.pod_labels).toEqual({ tier: 'frontend' });
    expect(out).not.toBe(shared);
  });
});

describe('invalid field filters', () => {
  it('name a path that is no field, and the message that lacks it', () => {
    expect(errorOf([{ fields: { paths: ['process.binary', 'process.binaryy'] } }])).toBe(
      'field_filters[0].fields.paths[1]: path "process.binaryy" names no field: Process has no field "binaryy"',
    );
    expect(errorOf([{}, { fields: { paths: ['proces.binary'] } }])).toBe(
      'field_filters[1].fields.paths[0]: path "proces.binary" names no field: "proces" is not a field of any event',
    );
  });

  it('check paths against the event types the filter applies to', () => {
    expect(errorOf([{ event_set: ['PROCESS_EXEC', 'PROCESS_EXIT'], fields: { paths: ['function_name'] } }])).toBe(
      'field_filters[0].fields.paths[0]: path "function_name" names no field: "function_name" is not a field of ProcessExec, ProcessExit',
    );
    expect(() =>
      compileFieldFilters([{ event_set: ['PROCESS_KPROBE'], fields: { paths: ['function_name'] } }]),
    ).not.toThrow();
  });

  it('reject a path below a scalar field', () => {
    expect(errorOf([{ fields: { paths: ['process.pid.value'] } }])).toBe(
      'field_filters[0].fields.paths[0]: path "process.pid.value" names no field: pid is a scalar, it has no field "value"',
    );
  });

  it('reject empty segments, unknown actions and event types', () => {
    expect(errorOf([{ fields: { paths: ['process..pid'] } }])).toBe(
      'field_filters[0].fields.paths[0]: invalid path "process..pid": empty field name',
    );
    expect(errorOf([{ action: 'KEEP' as never }])).toBe(
      'field_filters[0].action: unknown action "KEEP" (INCLUDE or EXCLUDE)',
    );
    expect(errorOf([{ event_set: ['EXEC' as never] }])).toContain(
      'field_filters[0].event_set[0]: unknown event type "EXEC"',
    );
    expect(errorOf([{ fields: { path: ['x'] } as never }])).toBe('field_filters[0].fields: unknown field "path"');
  });
});
