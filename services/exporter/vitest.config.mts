import { vigilVitestConfig } from '../../vitest.shared.mjs';

// test/integration/ holds the tests against the real Kafka broker and ClickHouse server: the
// `test-integration` script runs only them, `test` (the unit lane) skips them.
const integration = process.env['VIGIL_TEST_LANE'] === 'integration';

export default vigilVitestConfig(
  integration
    ? {
        include: ['test/integration/**/*.test.ts'],
        globalSetup: ['test/integration/global-setup.ts'],
        // One shared broker and server on two cores: files one after another.
        fileParallelism: false,
        testTimeout: 180_000,
      }
    : { exclude: ['test/integration/**', 'test/kernel/**', '**/node_modules/**'] },
);
