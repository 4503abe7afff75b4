export { Topic, type TopicName } from './topics';
export type { BatchHandler, BusMessage, BusStats, EventBus } from './bus';
export { InProcessBus, type InProcessBusOptions } from './in-process-bus';
