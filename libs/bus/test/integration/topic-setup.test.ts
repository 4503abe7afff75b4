import { ConfigResourceTypes } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureTopics, Topic, TopicSetupError, type TopicSpec } from '../../src';
import { adminClient, testEnv, type TestEnv } from './helpers';

let env: TestEnv;
afterEach(async () => env.cleanup());

const specs = (prefix: string): TopicSpec[] =>
  Object.values(Topic).map((t) => ({
    name: `${prefix}${t}`,
    partitions: t === Topic.eventsRaw ? 3 : 2,
    replicationFactor: -1,
    compacted: t === Topic.policies || t === Topic.workloads,
  }));

describe('topic setup on the real broker', () => {
  it('creates every topic once, with partitions and cleanup policy as configured; running again changes nothing', async () => {
    env = testEnv();
    const admin = adminClient().admin();
    await admin.connect();
    try {
      const first = await ensureTopics(admin, specs(env.prefix));
      expect(first.created.sort()).toEqual(
        specs(env.prefix)
          .map((s) => s.name)
          .sort(),
      );
      const again = await ensureTopics(admin, specs(env.prefix));
      expect(again).toEqual({ created: [], existing: specs(env.prefix).map((s) => s.name), notes: [] });

      const metadata = await admin.fetchTopicMetadata({ topics: specs(env.prefix).map((s) => s.name) });
      expect(Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]))).toEqual(
        Object.fromEntries(specs(env.prefix).map((s) => [s.name, s.partitions])),
      );
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: specs(env.prefix).map((s) => ({
          type: ConfigResourceTypes.TOPIC,
          name: s.name,
          configNames: ['cleanup.policy'],
        })),
      });
      const policy = Object.fromEntries(
        configs.resources.map((r) => [r.resourceName.slice(env.prefix.length), r.configEntries[0]!.configValue]),
      );
      expect(policy).toEqual({
        'vigil.events.raw': 'delete',
        'vigil.events': 'delete',
        'vigil.policies': 'compact',
        'vigil.policy-status': 'delete',
        'vigil.workloads': 'compact',
        'vigil.dead-letter': 'delete',
      });
    } finally {
      await admin.disconnect();
    }
  });

  it('notes an existing topic whose partition count differs and leaves it alone', async () => {
    env = testEnv();
    const admin = adminClient().admin();
    await admin.connect();
    try {
      await ensureTopics(admin, specs(env.prefix));
      const more = specs(env.prefix).map((s) => (s.name.endsWith(Topic.events) ? { ...s, partitions: 5 } : s));
      const report = await ensureTopics(admin, more);
      expect(report.notes).toEqual([
        `topic ${env.prefix}vigil.events has 2 partitions, configured 5: left as is (changing it would move keys between partitions)`,
      ]);
      const [meta] = (await admin.fetchTopicMetadata({ topics: [`${env.prefix}vigil.events`] })).topics;
      expect(meta!.partitions).toHaveLength(2);
    } finally {
      await admin.disconnect();
    }
  });

  it('reports an existing topic with the wrong cleanup policy precisely, and KafkaBus.start() refuses it', async () => {
    env = testEnv();
    const admin = adminClient().admin();
    await admin.connect();
    try {
      await admin.createTopics({
        // No wait for leaders: kafkajs's wait trips on KRaft's answers; ensureTopics copes with them.
        waitForLeaders: false,
        topics: [
          {
            topic: `${env.prefix}vigil.policies`,
            numPartitions: 1,
            configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
          },
        ],
      });
      const error = await ensureTopics(admin, specs(env.prefix)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TopicSetupError);
      expect((error as TopicSetupError).message).toBe(
        'Kafka topic setup: 1 problem\n' +
          `  topic ${env.prefix}vigil.policies: cleanup.policy is "delete", expected "compact" (the latest message per key is the state and must never expire)` +
          ` — fix: kafka-configs.sh --bootstrap-server <broker> --alter --entity-type topics --entity-name ${env.prefix}vigil.policies --add-config cleanup.policy=compact`,
      );
      // The other topics were still created: a second run after the fix has nothing left to do.
      expect((await admin.listTopics()).filter((t) => t.startsWith(env.prefix))).toHaveLength(6);

      const bus = env.bus();
      await expect(bus.start()).rejects.toThrow(/vigil\.policies: cleanup\.policy is "delete", expected "compact"/);
    } finally {
      await admin.disconnect();
    }
  });
});
