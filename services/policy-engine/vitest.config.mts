import { vigilVitestConfig } from '../../vitest.shared.mjs';

// Unit lane: the API on the in-process bus. test/integration/ needs the real Kafka broker
// (`scripts/services up`) and runs only in the integration lane (`npm run test-integration`).
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
