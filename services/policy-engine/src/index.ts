export { PolicyEngineModule, type PolicyEngineModuleOptions } from './policy-engine.module';
export { PolicyLogProvider } from './policy-log.provider';
export { policyEngineSchema } from './policy-engine.config';
export { PolicyLog, type PolicyLogOptions, type PolicyLogStats } from './domain/policy-log';
export { PolicyState } from './domain/policy-state';
export { TokenAuth, type Principal } from './domain/auth';
export { PolicyGrpcProvider } from './grpc/policy-grpc.provider';
