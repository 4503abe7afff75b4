/**
 * Process flags: the kernel contract's bitmask and Tetragon's spelling of it in Process.flags.
 *
 * @vigil/events owns the ProcessFlag constant (the BPF side and @vigil/bpf-native use these
 * bit values; bpf-native should re-export it from here rather than declare its own copy).
 * The bit values are Vigil's own; only the printed names must match Tetragon.
 */

/** Bits of RawExecEvent/RawForkEvent/RawExitEvent.flags. */
export const ProcessFlag = {
  execve: 1 << 0,
  procFS: 1 << 1,
  truncFilename: 1 << 2,
  truncArgs: 1 << 3,
  taskWalk: 1 << 4,
  miss: 1 << 5,
  needsAUID: 1 << 6,
  errorFilename: 1 << 7,
  errorArgs: 1 << 8,
  needsCWD: 1 << 9,
  noCWDSupport: 1 << 10,
  rootCWD: 1 << 11,
  errorCWD: 1 << 12,
  clone: 1 << 13,
  errorCgroupName: 1 << 14,
  errorCgroupKn: 1 << 15,
  errorCgroupSubsysCgrp: 1 << 16,
  errorCgroupSubsys: 1 << 17,
  errorCgroups: 1 << 18,
  errorCgroupId: 1 << 19,
  errorPathResolution: 1 << 20,
  errorPathResolutionCwd: 1 << 21,
  dataArgs: 1 << 22,
  /** Vigil addition: the cwd walk hit its depth bound. */
  truncCwd: 1 << 23,
} as const;
export type ProcessFlagName = keyof typeof ProcessFlag;

/**
 * How Tetragon prints each flag, in the order it prints them.
 *
 * Source: cilium/tetragon pkg/reader/exec/exec.go (FlagStrings + flagsOrdered,
 * DecodeCommonFlags), bit definitions in pkg/api/flags.go. Note the irregular spellings there:
 * needsAUID prints as "auid", noCWDSupport as "nocwd", rootCWD as "rootcwd", errorCgroupId as
 * "errorCgroupID"; needsCWD is internal and never printed. Older Tetragon also printed
 * "truncFilename" and "taskWalk". errorPathResolution (binary path) and truncCwd are Vigil
 * additions, placed next to their Tetragon neighbours.
 */
const PRINTED: ReadonlyArray<readonly [ProcessFlagName, string]> = [
  ['execve', 'execve'],
  ['procFS', 'procFS'],
  ['truncFilename', 'truncFilename'],
  ['truncArgs', 'truncArgs'],
  ['taskWalk', 'taskWalk'],
  ['miss', 'miss'],
  ['needsAUID', 'auid'],
  ['errorFilename', 'errorFilename'],
  ['errorArgs', 'errorArgs'],
  ['noCWDSupport', 'nocwd'],
  ['rootCWD', 'rootcwd'],
  ['errorCWD', 'errorCWD'],
  ['clone', 'clone'],
  ['errorCgroupName', 'errorCgroupName'],
  ['errorCgroupId', 'errorCgroupID'],
  ['errorCgroupKn', 'errorCgroupKn'],
  ['errorCgroupSubsysCgrp', 'errorCgroupSubsysCgrp'],
  ['errorCgroupSubsys', 'errorCgroupSubsys'],
  ['errorCgroups', 'errorCgroups'],
  ['errorPathResolution', 'errorPathResolution'],
  ['errorPathResolutionCwd', 'errorPathResolutionCwd'],
  ['dataArgs', 'dataArgs'],
  ['truncCwd', 'truncCwd'],
];

/** Tetragon's Process.flags string for a bitmask, e.g. "execve rootcwd clone"; "" for none. */
export function flagsToString(mask: number): string {
  const names: string[] = [];
  for (const [flag, printed] of PRINTED) {
    if (mask & ProcessFlag[flag]) names.push(printed);
  }
  return names.join(' ');
}

/** The bitmask a Process.flags string stands for; unknown words are ignored. */
export function flagsFromString(flags: string): number {
  let mask = 0;
  for (const word of flags.split(' ')) {
    const entry = PRINTED.find(([, printed]) => printed === word);
    if (entry) mask |= ProcessFlag[entry[0]];
  }
  return mask;
}
