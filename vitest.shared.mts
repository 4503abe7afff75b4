import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Test lanes. Each is an nx target of the projects that have tests of that kind:
 *   unit        `test`              test/**\/*.test.ts (no root, no services)
 *   kernel      `test-kernel`       test/kernel/**\/*.test.ts (root, real BPF on the running kernel)
 *   integration `test-integration`  test/integration/**\/*.test.ts, or the integration project's
 *                                   test/**: real Kafka and ClickHouse
 * scripts/test runs them all; VIGIL_TEST_LANE selects the files when a target runs vitest.
 */
export type Lane = 'unit' | 'kernel' | 'integration';

const root = import.meta.dirname;

/**
 * One vitest configuration for every project. Besides the console reporter, each run writes
 * reports/vitest/<package name>.<lane>[@kernel].json (the nx project name): scripts/test sums those into the closing
 * "N passed, N failed" line, and nx restores them with a cached result.
 */
export function vigilVitestConfig(overrides: ViteUserConfig['test'] = {}) {
  const projectName = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { name: string }).name;
  const lane = (process.env['VIGIL_TEST_LANE'] ?? 'unit') as Lane;
  // Inside the kernel-matrix VMs (scripts/vm/run sets VIGIL_KERNEL) each kernel gets its own report.
  const report = process.env['VIGIL_KERNEL'] ? `${lane}@${process.env['VIGIL_KERNEL']}` : lane;
  // A project's own integration tests (test/integration/, real Kafka/ClickHouse) run only in the
  // integration lane, found by its global setup, one file at a time on the shared servers.
  const ownIntegration = fs.existsSync('test/integration');
  const include =
    lane === 'kernel'
      ? ['test/kernel/**/*.test.ts']
      : lane === 'integration' && ownIntegration
        ? ['test/integration/**/*.test.ts']
        : ['test/**/*.test.ts'];
  const exclude =
    lane === 'kernel' ? [] : lane === 'integration' ? ['test/kernel/**'] : ['test/kernel/**', 'test/integration/**'];
  const integrationLane =
    lane === 'integration' && ownIntegration
      ? { globalSetup: ['test/integration/global-setup.ts'], testTimeout: 120_000 }
      : {};
  return defineConfig({
    test: {
      include,
      exclude: [...exclude, '**/node_modules/**'],
      environment: 'node',
      testTimeout: 30_000,
      hookTimeout: 60_000,
      // Kernel tests load BPF and fork thousands of processes, integration tests share one broker
      // and server: one file at a time.
      fileParallelism: lane === 'unit',
      // Under emulation (kernel-matrix VMs) importing the modules again for every test file was
      // about a third of each project's time: the files of a project share one module graph there.
      isolate: process.env['VIGIL_VM'] !== '1',
      reporters: [
        'default',
        ['json', { outputFile: path.join(root, 'reports', 'vitest', `${projectName}.${report}.json`) }],
      ],
      ...integrationLane,
      ...overrides,
    },
  });
}
