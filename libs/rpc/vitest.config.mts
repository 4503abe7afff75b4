import { vigilVitestConfig } from '../../vitest.shared.mjs';

// Lanes (unit, kernel, and test/integration/ for the integration lane): vitest.shared.mts.
export default vigilVitestConfig();
