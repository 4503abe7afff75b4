export {
  probeKernel,
  defaultProbeObjectPath,
  summarizeConfig,
  bpfUnusable,
  ProbeUnavailableError,
  type KernelProbeReport,
  type ProbeKernelOptions,
  type ConfigGroupSummary,
} from './probe';
export {
  ATTACH_CAPABILITIES,
  FEATURE_CAPABILITIES,
  CAPABILITY_NAMES,
  CAPABILITY_CONFIG,
  PROBE_PROGRAMS,
  PROBE_KERNEL_FUNCTION,
  errorInjectableFunction,
  tryCapability,
  waitForRelease,
  PROGS_ITERATOR,
  type ReleaseResult,
  type Capability,
  type CapabilityGroup,
  type CapabilityName,
  type TryEnv,
} from './capabilities';
export { deriveHookStrategy, type HookStrategy, type StrategyChoice } from './strategy';
export { formatProbeReport } from './format';
export { describeFailure, formatReason, telltaleLine, type FailureInfo, type TryStage } from './reason';
export {
  readLsms,
  parseLsmList,
  lsmFromCmdline,
  parseMounts,
  findCgroup2Mount,
  findLibc,
  effectiveCapabilities,
  privilegeProblem,
  VMLINUX_BTF,
  type LsmInfo,
  type MountEntry,
} from './system';
export {
  readKernelConfig,
  parseKernelConfig,
  checkKernelConfig,
  configSources,
  REQUIRED_OPTIONS,
  type KernelConfig,
  type OptionCheck,
  type OptionValue,
} from './kernel-config';
