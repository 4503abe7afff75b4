export { formatDiagnostic, PolicyError, type PolicyDiagnostic, type Severity } from './diagnostics';
export { MAX_TEXT_BYTES } from './limits';
export * from './model';
export {
  assertPolicy,
  parsePolicies,
  parsePolicy,
  parsePolicyFile,
  type ParseOptions,
  type PolicyListParseResult,
  type PolicyParseResult,
} from './parse';
export {
  ACTIONS,
  ADDRESS_FAMILIES,
  ARG_OPERATORS,
  ARG_TYPES,
  CAPABILITIES,
  IP_PROTOCOLS,
  LIMITS,
  TCP_STATES,
} from './tables';
