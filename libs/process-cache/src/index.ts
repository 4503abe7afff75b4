export {
  ProcessCache,
  type CacheEntry,
  type EntryOrigin,
  type HookContext,
  type ProcessCacheMetrics,
  type ProcessCacheOptions,
} from './process-cache';
export {
  readProcFs,
  readProcess,
  readNamespaces,
  hostNamespaces,
  kernelPseudoProcess,
  clockTicksPerSecond,
  ProcessVanishedError,
  type ProcReadOptions,
  type ProcReadResult,
} from './proc-seed';
export { execProcess, cloneProcess, minimalProcess, type BuildContext, type CloneIdentity } from './process-builder';
