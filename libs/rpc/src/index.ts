export { RpcError, RpcStatus, toServiceError } from './errors';
export { messageFromJson, messageToJson } from './protojson';
export { serviceDefinition } from './service-definition';
export {
  RpcServer,
  serve,
  unixPath,
  withPort,
  type Authorize,
  type CallContext,
  type RpcServerOptions,
  type ServiceHandlers,
  type StreamHandler,
  type UnaryHandler,
} from './server';
export { addressProblem, bearerToken, isLocalAddress, requireToken } from './auth';
export {
  FINE_GUIDANCE_SENSORS,
  fineGuidanceSensors,
  type FineGuidanceSensors,
  type FineGuidanceSensorsOptions,
} from './sensors/fine-guidance-sensors';
export type {
  EventSource,
  HealthCheck,
  PolicyRef,
  SensorsBackend,
  TracingPolicyBackend,
  TracingPolicyModeName,
  TracingPolicyStatusJson,
} from './sensors/backend';
export type { EventStreamCounters } from './sensors/event-stream';
export { EventFanout } from './sensors/event-fanout';
export { getEvents, rpcClient, sensorsClient, type RpcClient } from './client';
