import { vigilVitestConfig } from '../vitest.shared.mjs';

export default vigilVitestConfig({
  globalSetup: ['test/global-setup.ts'],
  // Integration tests share one broker and one server: run files one after another.
  fileParallelism: false,
  testTimeout: 120_000,
});
