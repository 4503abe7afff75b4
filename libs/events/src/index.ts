export * from './tetragon';
export * from './hook-events';
export { CapabilitiesType, SecureBitsType, capabilityNames, capabilitiesFromMasks } from './capabilities';
export type { CapabilitiesTypeName, SecureBitsTypeName, CapabilityMasks } from './capabilities';
export { ProcessFlag, flagsToString, flagsFromString, type ProcessFlagName } from './flags';
export { execId, parseExecId, kernelExecId, KERNEL_KTIME, type ParsedExecId } from './exec-id';
export { namespacesFrom, zeroNamespaces, NAMESPACE_KINDS, type NamespaceInums } from './namespaces';
export { credentialsFrom, INVALID_UID, type CredentialIds } from './credentials';
export { formatArguments } from './args';
export { signalName, exitFields } from './exit-status';
export { timestampFromEpochNs, epochNsFromTimestamp } from './timestamp';
export { BootClock, type BootClockCalibration, type BootClockOptions } from './boot-clock';
export { execResponse, exitResponse, type ExecEventInput, type ExitEventInput } from './responses';
export {
  JsonExportWriter,
  exportOptionsFromTetragonFlags,
  type JsonExportOptions,
  type JsonExportStats,
  type TetragonExportFlags,
} from './json-export';
export { formatCompact, type CompactOptions } from './compact';
export { descriptorProblems, type ProtoDescriptorJson } from './descriptor-check';
export { EVENT_KINDS, eventPayload, eventProcesses } from './enrich/event-processes';
export * from './filters';
