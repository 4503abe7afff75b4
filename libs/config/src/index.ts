export * as field from './fields';
export { FieldError, type Field } from './fields';
export {
  loadConfig,
  describeSchema,
  ConfigError,
  type ConfigOf,
  type ConfigProblem,
  type LoadOptions,
  type Schema,
} from './load';
export { baseSchema } from './base-schema';
