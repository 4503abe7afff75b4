import { describe, expect, it } from 'vitest';
import { eventShapeProblem } from '../src/event-shape';
import { eventAt } from './fixtures/events';

describe('eventShapeProblem', () => {
  it('accepts well-formed events of every fixture kind', () => {
    for (let i = 0; i < 20; i++) expect(eventShapeProblem(eventAt(i))).toBeUndefined();
  });

  it('accepts absent and null fields (protojson omits defaults)', () => {
    expect(
      eventShapeProblem({ process_exec: { process: { binary: null, pod: null } }, node_name: null }),
    ).toBeUndefined();
  });

  it.each([
    [null, 'not a JSON object: null'],
    [42, 'not a JSON object: number 42'],
    ['text', 'not a JSON object: string "text"'],
    [[1], 'not a JSON object: an array'],
    [{ time: 5 }, 'time: expected a string, got number 5'],
    [{ process_exec: 'x' }, 'process_exec: expected an object, got string "x"'],
    [{ process_exec: { process: { binary: 7 } } }, 'process_exec.process.binary: expected a string, got number 7'],
    [
      { process_exit: { parent: { pod: { pod_labels: { app: 1 } } } } },
      'process_exit.parent.pod.pod_labels.app: expected a string, got number 1',
    ],
    [
      { process_exec: { ancestors: [{}, { exec_id: false }] } },
      'process_exec.ancestors[1].exec_id: expected a string, got boolean false',
    ],
    [{ process_exec: { ancestors: {} } }, 'process_exec.ancestors: expected an array, got object {}'],
    [{ process_kprobe: { args: [null] } }, 'process_kprobe.args[0]: expected an object, got null'],
    [
      { process_kprobe: { args: [{ sock_arg: { daddr: 167772165 } }] } },
      'process_kprobe.args[0].sock_arg.daddr: expected a string, got number 167772165',
    ],
    [
      { process_lsm: { process: { pod: { container: { image: { name: ['x'] } } } } } },
      'process_lsm.process.pod.container.image.name: expected a string, got an array',
    ],
  ])('names the field: %j', (value, reason) => {
    expect(eventShapeProblem(value)).toBe(reason);
  });
});
