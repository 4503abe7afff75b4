export { ServiceKitModule, type ServiceKitOptions } from './service-kit.module';
export { Readiness, type ReadinessCheck } from './readiness';
export { VIGIL_CONFIG, SERVICE_NAME, EVENT_BUS } from './tokens';
export { bootstrapService } from './bootstrap';
