export { PolicyEngineModule, type PolicyEngineModuleOptions } from './policy-engine.module';
export { policyEngineSchema } from './policy-engine.config';
export { PolicyLog, type PolicyLogOptions, type PolicyLogStats } from './domain/policy-log';
export { PolicyState } from './domain/policy-state';
export { TokenAuth, type Principal } from './domain/auth';
