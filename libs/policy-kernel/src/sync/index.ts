export {
  PolicySync,
  type PolicySyncBus,
  type PolicySyncOptions,
  type PolicySyncStats,
  type SyncMessage,
} from './policy-sync';
export type { PolicyTarget } from './policy-target';
export { nodeSelects } from './node-selector';
