import { ConfigResourceTypes, type Admin } from 'kafkajs';

export interface TopicSpec {
  /** The name in Kafka (the bus's topic prefix included). */
  name: string;
  partitions: number;
  /** -1 = the broker's default.replication.factor. */
  replicationFactor: number;
  compacted: boolean;
}

export interface TopicSetupReport {
  created: string[];
  existing: string[];
  /** Differences that are not errors, e.g. an existing topic with other partition counts. */
  notes: string[];
}

export interface TopicProblem {
  topic: string;
  reason: string;
  fix: string;
}

export class TopicSetupError extends Error {
  override name = 'TopicSetupError';
  constructor(readonly problems: TopicProblem[]) {
    super(
      `Kafka topic setup: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems.map((p) => `  topic ${p.topic}: ${p.reason} — fix: ${p.fix}`).join('\n'),
    );
  }
}

/**
 * Creates the topics that are missing and checks the ones that exist; running it again changes
 * nothing. The cleanup policy must match exactly: compacting an event topic would delete events
 * that share a key (a process's events), and deleting by age from a compacted topic would lose
 * state that only lives there (a policy nobody changed for a week). Partition counts are never
 * changed: adding partitions moves keys and breaks per-key order, so a difference is a note.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<TopicSetupReport> {
  // Kept across reruns (see retryWhileTopicsSettle): a rerun finds these topics present.
  const created = new Set<string>();
  return retryWhileTopicsSettle(() => ensureTopicsOnce(admin, specs, created));
}

async function ensureTopicsOnce(admin: Admin, specs: TopicSpec[], created: Set<string>): Promise<TopicSetupReport> {
  const present = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !present.has(s.name));
  for (const s of missing) created.add(s.name);
  if (missing.length > 0) await createTopics(admin, missing);
  const existing = specs.filter((s) => present.has(s.name) && !created.has(s.name));
  const notes: string[] = [];
  if (existing.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: existing.map((s) => s.name) });
    for (const topic of metadata.topics) {
      const spec = specs.find((s) => s.name === topic.name)!;
      if (topic.partitions.length !== spec.partitions)
        notes.push(
          `topic ${topic.name} has ${topic.partitions.length} partitions, configured ${spec.partitions}: left as is (changing it would move keys between partitions)`,
        );
    }
  }
  const problems = await cleanupPolicyProblems(admin, specs);
  if (problems.length > 0) throw new TopicSetupError(problems);
  return { created: [...created], existing: existing.map((s) => s.name), notes };
}

async function cleanupPolicyProblems(admin: Admin, specs: TopicSpec[]): Promise<TopicProblem[]> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configNames: ['cleanup.policy'] })),
  });
  const problems: TopicProblem[] = [];
  for (const spec of specs) {
    const resource = described.resources.find((r) => r.resourceName === spec.name);
    const actual = resource?.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue;
    const expected = spec.compacted ? 'compact' : 'delete';
    if (actual === expected) continue;
    const why = spec.compacted
      ? 'the latest message per key is the state and must never expire'
      : 'compaction would delete messages that share a key';
    problems.push({
      topic: spec.name,
      reason: `cleanup.policy is ${JSON.stringify(actual ?? '(unknown)')}, expected "${expected}" (${why})`,
      fix: `kafka-configs.sh --bootstrap-server <broker> --alter --entity-type topics --entity-name ${spec.name} --add-config cleanup.policy=${expected}`,
    });
  }
  return problems;
}

/** Errors a freshly created topic answers with until its partitions have leaders. */
const NOT_READY_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);
const ATTEMPTS = 20;

/**
 * kafkajs waits for leaders through LEADER_NOT_AVAILABLE only; a KRaft broker also answers
 * UNKNOWN_TOPIC_OR_PARTITION for a moment after a topic is created (by us or by another node at
 * the same time). Every step of the setup is idempotent, so the whole setup is simply run again.
 */
async function retryWhileTopicsSettle<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (e) {
      if (attempt >= ATTEMPTS || !NOT_READY_YET.has((e as { type?: string }).type ?? '')) throw e;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

async function createTopics(admin: Admin, missing: TopicSpec[]): Promise<void> {
  // Another node may create the same topics at the same moment; kafkajs treats "already
  // exists" as success, and the configuration check afterwards covers whoever won.
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((s) => ({
      topic: s.name,
      numPartitions: s.partitions,
      replicationFactor: s.replicationFactor,
      configEntries: [{ name: 'cleanup.policy', value: s.compacted ? 'compact' : 'delete' }],
    })),
  });
}
