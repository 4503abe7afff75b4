import { vigilVitestConfig } from '../../vitest.shared.mjs';

// The unit lane must not need a broker: the real-Kafka tests live in test/integration and run
// only in the integration lane (`npm run test-integration`), one file at a time on one broker.
const integration = process.env['VIGIL_TEST_LANE'] === 'integration';

export default vigilVitestConfig(
  integration
    ? {
        include: ['test/integration/**/*.test.ts'],
        globalSetup: ['test/integration/global-setup.ts'],
        fileParallelism: false,
        testTimeout: 120_000,
      }
    : { exclude: ['test/integration/**', 'test/kernel/**', '**/node_modules/**'] },
);
