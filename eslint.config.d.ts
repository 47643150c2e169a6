// Types of what eslint.config.js exports besides the config itself, for test/unit/layers.test.ts.
import type { Linter } from 'eslint';

export declare const LAYERS: readonly (readonly string[])[];
declare const config: Linter.Config[];
export default config;
