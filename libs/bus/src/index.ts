export { Topic, type TopicName } from './topics';
export type { BatchHandler, BusMessage, BusStats, ConsumerLag, EventBus, SubscribeOptions } from './bus';
export { InProcessBus, type InProcessBusOptions } from './in-process-bus';
export { jsonCodec, type Codec } from './codec';
export { stderrLogger, type BusLogger } from './logger';
export { KafkaBus, BusClosedError, EncodeError, type KafkaBusOptions, type KafkaBusStats } from './kafka-bus';
export {
  ensureTopics,
  TopicSetupError,
  type TopicSpec,
  type TopicSetupReport,
  type TopicProblem,
} from './kafka/topic-setup';
export { DeadLetterHeader, type DeadLetterValue, type DeadLetterReason } from './kafka/dead-letter';
export {
  DiskSpool,
  SpoolFormatError,
  type FsyncPolicy,
  type SpoolStats,
  type DiskSpoolOptions,
} from './spool/disk-spool';
export { SpoolLockedError } from './spool/spool-lock';
