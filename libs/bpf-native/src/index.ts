export * from './process-events';
export * from './process-layout';
export { encodeExecRecord, type ExecRecordInput } from './process-encoder';
export { decodeProcessBatch, decodeProcessRecord, type DecodeResult } from './process-decoder';
export { forEachRecord, frameRecords, FRAME_HEADER_BYTES } from './ring-buffer-framing';
export { RingBufferReader, type RingBufferReaderOptions, type RingBufferStats } from './ring-buffer';
export {
  BpfObject,
  BpfProgram,
  BpfMap,
  BpfLink,
  BPF_ANY,
  BPF_NOEXIST,
  BPF_EXIST,
  libbpfVersion,
  numPossibleCpus,
  type AttachSpec,
  type BpfObjectOpenOptions,
} from './bpf-object';
export { isBpfError, type BpfError } from './errors';
export { ensureTracefs, ensureBpffs, TRACEFS, BPFFS } from './mounts';
export {
  ProcessEventSource,
  PROCESS_PROGRAMS,
  defaultProcessObjectPath,
  type ProcessAttachMode,
  type ProcessEventSourceOptions,
  type ProcessEventSourceStats,
} from './process-source';
export type { NativeProgramInfo, NativeMapInfo } from './native';
export * from './hook-layout';
export { decodeHookRecord } from './hook-decoder';
export {
  HookProgram,
  defaultHookObjectPath,
  type HookAttach,
  type HookAttachment,
  type HookLoadOptions,
  type HookSharedMaps,
  type SyscallEquivalent,
} from './hook-program';
