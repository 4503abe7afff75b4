/**
 * The topics services meet on (Kafka topic names in the fleet, channel names in-process).
 * One name per concept: these strings are the same in Kafka, in code and in docs.
 */
export const Topic = {
  /** collector → enricher: events as the node saw them. Key: exec_id, so a process's events stay ordered. */
  eventsRaw: 'vigil.events.raw',
  /** enricher → everyone: events with container and Kubernetes context; the public stream. */
  events: 'vigil.events',
  /** policy-engine → collectors: compacted, key = policy id; the source of truth for policy state. */
  policies: 'vigil.policies',
  /** collectors → policy-engine: per node, per policy load status. */
  policyStatus: 'vigil.policy-status',
  /** enricher → collectors: per node cgroup → pod/container map. */
  workloads: 'vigil.workloads',
  /** Messages no consumer could handle, with the reason. */
  deadLetter: 'vigil.dead-letter',
} as const;
export type TopicName = (typeof Topic)[keyof typeof Topic];
