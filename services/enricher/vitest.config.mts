import { vigilVitestConfig } from '../../vitest.shared.mjs';

// Like test/kernel/ for the kernel lane, test/integration/ holds this project's integration
// tests (real Kafka broker; the Kubernetes API is a fake server): the `test-integration` script runs only them, `test` skips them.
const integration = process.env['VIGIL_TEST_LANE'] === 'integration';

export default vigilVitestConfig(
  integration
    ? {
        include: ['test/integration/**/*.test.ts'],
        globalSetup: ['test/integration/global-setup.ts'],
        // One shared server: files one after another.
        fileParallelism: false,
        testTimeout: 120_000,
      }
    : { exclude: ['test/integration/**', 'test/kernel/**', '**/node_modules/**'] },
);
