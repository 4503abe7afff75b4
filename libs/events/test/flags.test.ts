import { describe, expect, it } from 'vitest';
import { ProcessFlag, flagsFromString, flagsToString } from '../src/flags';

describe('Process.flags', () => {
  it('prints Tetragon spellings in Tetragon order', () => {
    expect(flagsToString(ProcessFlag.clone | ProcessFlag.rootCWD | ProcessFlag.execve)).toBe('execve rootcwd clone');
    expect(flagsToString(ProcessFlag.procFS | ProcessFlag.needsAUID | ProcessFlag.rootCWD)).toBe('procFS auid rootcwd');
    expect(flagsToString(ProcessFlag.noCWDSupport | ProcessFlag.errorCgroupId | ProcessFlag.errorCgroupName)).toBe(
      'nocwd errorCgroupName errorCgroupID',
    );
    expect(flagsToString(ProcessFlag.miss)).toBe('miss');
  });

  it('never prints the internal needsCWD flag, and prints nothing for 0', () => {
    expect(flagsToString(ProcessFlag.needsCWD)).toBe('');
    expect(flagsToString(0)).toBe('');
  });

  it('parses back every printable flag', () => {
    const all = Object.values(ProcessFlag).reduce((a, b) => a | b, 0) & ~ProcessFlag.needsCWD;
    const printed = flagsToString(all);
    expect(printed.split(' ')).toHaveLength(Object.keys(ProcessFlag).length - 1);
    expect(flagsFromString(printed)).toBe(all);
  });
});
