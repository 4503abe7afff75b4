/**
 * tracedSyscalls: the syscalls of a table that have a syscalls:sys_enter_* tracepoint on this
 * kernel, read from a tracefs events directory (a temporary one here).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tracedSyscalls } from '../src/index';

describe('tracedSyscalls', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-events-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const events = (...names: string[]) => {
    const d = fs.mkdtempSync(path.join(dir, 'syscalls-'));
    for (const n of names) fs.mkdirSync(path.join(d, n));
    return d;
  };

  it('keeps the syscalls with a sys_enter tracepoint, under its tracepoint name', () => {
    const table = { read: 0, write: 1, stat: 4, fstat: 5, sendfile: 40, init_module: 175 };
    const dirWith = events(
      'enable',
      'filter',
      'sys_enter_read',
      'sys_exit_read',
      'sys_enter_newstat', // stat's tracepoint on x86_64
      'sys_exit_newfstat', // an exit alone does not count
      'sys_enter_sendfile64',
      // write: none at all; init_module: not built in (no module support)
    );
    expect(tracedSyscalls(table, dirWith)).toEqual({ read: 0, stat: 4, sendfile: 40 });
  });

  it('does not take a tracepoint named after the __NR_ name where the kernel names it otherwise', () => {
    expect(tracedSyscalls({ stat: 4, fstat: 5 }, events('sys_enter_stat', 'sys_enter_fstat'))).toEqual({});
  });

  it('an empty events directory: nothing is traced', () => {
    expect(tracedSyscalls({ read: 0, openat: 257 }, events())).toEqual({});
  });
});
