import os from 'node:os';
import * as f from './fields';

/**
 * Settings every Vigil service shares. A service's own schema spreads these sections and adds
 * its own, so one file and one set of VIGIL_* variables configure a whole node or fleet.
 */
export const baseSchema = {
  node: {
    name: f.string({
      env: 'VIGIL_NODE_NAME',
      default: os.hostname(),
      pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/,
      doc: 'Node name used in exec_id and on every event',
    }),
  },
  log: {
    level: f.oneOf(['error', 'warn', 'info', 'debug'], {
      env: 'VIGIL_LOG_LEVEL',
      default: 'info',
      doc: 'Log verbosity',
    }),
  },
  kafka: {
    brokers: f.hostPorts({
      env: 'VIGIL_KAFKA_BROKERS',
      default: ['127.0.0.1:19092'],
      doc: 'Kafka bootstrap brokers, comma-separated host:port',
    }),
    clientId: f.string({ env: 'VIGIL_KAFKA_CLIENT_ID', default: 'vigil', doc: 'Kafka client id prefix' }),
  },
  clickhouse: {
    url: f.url({ env: 'VIGIL_CLICKHOUSE_URL', default: 'http://127.0.0.1:18123', doc: 'ClickHouse HTTP endpoint' }),
    database: f.string({
      env: 'VIGIL_CLICKHOUSE_DATABASE',
      default: 'vigil',
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      doc: 'ClickHouse database',
    }),
    username: f.string({ env: 'VIGIL_CLICKHOUSE_USER', default: 'default', doc: 'ClickHouse user' }),
    password: f.string({ env: 'VIGIL_CLICKHOUSE_PASSWORD', default: '', doc: 'ClickHouse password' }),
  },
  http: {
    host: f.string({
      env: 'VIGIL_HTTP_HOST',
      default: '127.0.0.1',
      doc: 'Address the service HTTP endpoints (health, metrics, API) listen on',
    }),
    port: f.int({ env: 'VIGIL_HTTP_PORT', default: 0, min: 0, max: 65535, doc: 'HTTP port (0 = pick a free port)' }),
  },
} as const;
