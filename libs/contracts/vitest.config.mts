import { vigilVitestConfig } from '../../vitest.shared.mjs';

export default vigilVitestConfig();
