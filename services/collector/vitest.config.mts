import { vigilVitestConfig } from '../../vitest.shared.mjs';

// Lanes: unit (test/*.test.ts), kernel (test/kernel/, root), integration (test/integration/: the
// collector module on the real kernel, as root, and the real Kafka broker).
const integration = process.env['VIGIL_TEST_LANE'] === 'integration';

export default vigilVitestConfig(
  integration
    ? {
        include: ['test/integration/**/*.test.ts'],
        globalSetup: ['test/integration/global-setup.ts'],
        // One shared broker, real BPF: files one after another.
        fileParallelism: false,
        testTimeout: 120_000,
      }
    : { exclude: ['test/integration/**', 'test/kernel/**', '**/node_modules/**'] },
);
