export {
  compilePolicy,
  workloadScope,
  type CompiledHook,
  type CompiledPolicy,
  type CompileOptions,
  type Mechanism,
  type UnsupportedHook,
} from './compile';
export { fullKernel, kernelFromProbe, kernelFunctions, tracedSyscalls, type CompileKernel } from './kernel';
export {
  SYSCALL_EQUIVALENTS,
  TRACEPOINT_EQUIVALENTS,
  equivalentFor,
  syscallName,
  type Equivalent,
  type EquivalentGroup,
  type TracepointEquivalent,
} from './equivalents';
export { SYSCALLS_X86_64 } from './syscalls-x86_64';
export { Unsupported } from './unsupported';
export { hookResponse, kprobeArgument, type HookEventContext } from './events';
export {
  PolicyLoadError,
  PolicyRuntime,
  type HookStatus,
  type PolicyMode,
  type PolicyRuntimeOptions,
  type PolicyState,
  type PolicyStatus,
  type WorkloadSource,
} from './runtime';
export {
  cgroupsInScope,
  labelsMatch,
  parseCgroupPath,
  readWorkloadFile,
  scanPodCgroups,
  WorkloadFileError,
  type CgroupEntry,
  type CgroupIdentity,
  type ContainerInfo,
  type PodInfo,
  type WorkloadScope,
} from './workloads';
export {
  UserActionRunner,
  type UserAction,
  type UserActionCounts,
  type UserActionOptions,
  type UserActionStats,
} from './user-actions';
export { StackSymbolizer, type StackSymbolizerOptions } from './stacks';
export { BuildIds, LOADER_HOOK } from './loader';
export {
  nodeSelects,
  PolicySync,
  type PolicySyncBus,
  type PolicySyncOptions,
  type PolicySyncStats,
  type PolicyTarget,
  type SyncMessage,
} from './sync';
