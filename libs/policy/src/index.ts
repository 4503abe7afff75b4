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
export { ACTIONS, ARG_OPERATORS, ARG_TYPES, CAPABILITIES, LIMITS } from './tables';
