import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicyFile, type Selector, type TracingPolicy } from '../src';
import { FIXTURES_DIR } from './helpers';

/** A selector with every filter empty, to spell out only what a test sets. */
function selector(parts: Partial<Selector>): Selector {
  return {
    macros: [],
    matchArgs: [],
    matchData: [],
    matchReturnArgs: [],
    matchPIDs: [],
    matchBinaries: [],
    matchParentBinaries: [],
    matchNamespaces: [],
    matchNamespaceChanges: [],
    matchCapabilities: [],
    matchCapabilityChanges: [],
    matchCmdArgs: [],
    matchStates: [],
    matchUserCallers: [],
    matchActions: [],
    matchReturnActions: [],
    ...parts,
  };
}

describe('the example from the issue', () => {
  const file = path.join(FIXTURES_DIR, 'file-monitoring-filtered.yaml');

  it('parses into the exact normalized structure', () => {
    const result = parsePolicyFile(file);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const expected: TracingPolicy = {
      apiVersion: 'cilium.io/v1alpha1',
      kind: 'TracingPolicyNamespaced',
      metadata: { name: 'file-monitoring-filtered', labels: {}, annotations: {} },
      spec: {
        kprobes: [
          {
            kind: 'kprobe',
            call: 'security_file_permission',
            syscall: false,
            return: true,
            args: [
              { index: 0, type: 'file', sizeArgIndex: 0, returnCopy: false, maxData: false },
              { index: 1, type: 'int', sizeArgIndex: 0, returnCopy: false, maxData: false },
            ],
            returnArg: { index: 0, type: 'int', sizeArgIndex: 0, returnCopy: false, maxData: false },
            returnArgAction: 'Post',
            data: [],
            ignore: { callNotFound: false },
            tags: [],
            selectors: [
              selector({
                matchBinaries: [
                  { operator: 'In', values: ['/usr/bin/cat', '/usr/bin/tail', '/usr/bin/bash'], followChildren: false },
                ],
                matchActions: [{ action: 'Sigkill' }],
              }),
            ],
          },
        ],
        fentries: [],
        tracepoints: [],
        uprobes: [],
        lsmhooks: [],
        usdts: [],
        lists: [],
        enforcers: [],
        options: [],
        optionValues: {},
        loader: false,
        state: [],
      },
    };
    expect(result.policy).toEqual(expected);
  });

  it('warns about what Tetragon itself would question, without failing', () => {
    const result = parsePolicyFile(file);
    expect(result.warnings.map((w) => [w.line, w.column, w.path])).toEqual([
      [5, 11, 'metadata.namespace'],
      [15, 22, 'spec.kprobes[0].returnArgAction'],
    ]);
  });
});
