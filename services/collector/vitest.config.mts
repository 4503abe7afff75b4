import { vigilVitestConfig } from '../../vitest.shared.mjs';

// Lanes: unit (test/*.test.ts), kernel (test/kernel/, root: the shared config selects it), and
// integration (test/integration/: the collector module on the real kernel, as root, and the
// real Kafka broker).
const lane = process.env['VIGIL_TEST_LANE'] ?? 'unit';

export default vigilVitestConfig(
  lane === 'integration'
    ? {
        include: ['test/integration/**/*.test.ts'],
        globalSetup: ['test/integration/global-setup.ts'],
        // One shared broker, real BPF: files one after another.
        fileParallelism: false,
        testTimeout: 120_000,
      }
    : lane === 'unit'
      ? { exclude: ['test/integration/**', 'test/kernel/**', '**/node_modules/**'] }
      : {},
);
