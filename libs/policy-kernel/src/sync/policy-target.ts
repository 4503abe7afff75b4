import type { TracingPolicy } from '@vigil/policy';
import type { PolicyMode, PolicyStatus } from '../runtime';

/**
 * What PolicySync needs of the node's policies: PolicyRuntime's methods, nothing more. The real
 * PolicyRuntime fits it; unit tests use a recording stand-in (the kernel cannot run there).
 */
export interface PolicyTarget {
  /** Loads and attaches; throws PolicyLoadError (nothing changed) when it cannot. */
  add(policy: TracingPolicy, mode?: PolicyMode): PolicyStatus;
  delete(name: string): boolean;
  enable(name: string): PolicyStatus;
  disable(name: string): PolicyStatus;
  setMode(name: string, mode: PolicyMode): PolicyStatus;
  status(name: string): PolicyStatus | undefined;
}
