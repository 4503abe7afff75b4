import fs from 'node:fs';
import path from 'node:path';
import { baseSchema, loadConfig } from '@vigil/config';

/** Where the integration tests find Kafka and ClickHouse. */
export interface TestServices {
  kafkaBrokers: string[];
  clickhouseUrl: string;
  /** How they were found: "environment", "scripts/services" or "testcontainers". */
  source: string;
  stop(): Promise<void>;
}

const REPO = path.resolve(__dirname, '..', '..');
const ENDPOINTS_FILE = path.join(process.env['VIGIL_CACHE'] ?? path.join(REPO, '.cache'), 'services', 'endpoints.env');

// Current images for the container lane: users run modern Kafka and ClickHouse.
const KAFKA_IMAGE = 'apache/kafka:3.9.1';
const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:24.8';

function readEndpointsFile(): Record<string, string> | undefined {
  if (!fs.existsSync(ENDPOINTS_FILE)) return undefined;
  return Object.fromEntries(
    fs
      .readFileSync(ENDPOINTS_FILE, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

async function containerRuntimeAvailable(): Promise<boolean> {
  if (process.env['VIGIL_TEST_CONTAINERS'] === '0') return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startContainers(): Promise<TestServices> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafka = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: 9092, host: 19092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:19092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const clickhouse = await new GenericContainer(CLICKHOUSE_IMAGE)
    .withExposedPorts(8123)
    .withWaitStrategy(Wait.forHttp('/ping', 8123))
    .start();
  return {
    kafkaBrokers: ['127.0.0.1:19092'],
    clickhouseUrl: `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}`,
    source: 'testcontainers',
    stop: async () => {
      await kafka.stop();
      await clickhouse.stop();
    },
  };
}

/**
 * Finds the services, in this order: VIGIL_KAFKA_BROKERS/VIGIL_CLICKHOUSE_URL in the
 * environment (what scripts/test exports), a container runtime (testcontainers starts current
 * images), then the endpoints `scripts/services up` recorded. Fails with what to do otherwise.
 */
export async function resolveTestServices(): Promise<TestServices> {
  const noop = async () => {};
  if (process.env['VIGIL_KAFKA_BROKERS'] && process.env['VIGIL_CLICKHOUSE_URL']) {
    const config = loadConfig(baseSchema);
    return {
      kafkaBrokers: config.kafka.brokers,
      clickhouseUrl: config.clickhouse.url,
      source: 'environment',
      stop: noop,
    };
  }
  if (await containerRuntimeAvailable()) return startContainers();
  const recorded = readEndpointsFile();
  if (recorded) {
    const config = loadConfig(baseSchema, { env: recorded });
    return {
      kafkaBrokers: config.kafka.brokers,
      clickhouseUrl: config.clickhouse.url,
      source: 'scripts/services',
      stop: noop,
    };
  }
  throw new Error(
    'no Kafka/ClickHouse for integration tests — fix: run `scripts/services up` first (scripts/test does it), ' +
      'or set VIGIL_KAFKA_BROKERS and VIGIL_CLICKHOUSE_URL',
  );
}
