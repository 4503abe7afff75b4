import { vigilVitestConfig } from '../../vitest.shared.mjs';

// Lanes (unit, and test/integration/ for the integration lane): vitest.shared.mts. The
// integration files start the exporter as a child process and wait out a killed member's session.
export default vigilVitestConfig(process.env['VIGIL_TEST_LANE'] === 'integration' ? { testTimeout: 180_000 } : {});
