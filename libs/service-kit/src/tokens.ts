/** Injection token of the service's loaded, validated configuration. */
export const VIGIL_CONFIG = Symbol('VIGIL_CONFIG');
/** Injection token of the service's name ("collector", "exporter", ...). */
export const SERVICE_NAME = Symbol('SERVICE_NAME');
/** Injection token of the EventBus the service publishes to and consumes from. */
export const EVENT_BUS = Symbol('EVENT_BUS');
