import { defineConfig } from 'vitest/config';
import { relforgeTestConfig } from '@relforge/vitest-config';

/**
 * The fast tier alone (`pnpm test:fast`): the workflow with stub activities, each file on a dev server of its own, no
 * S3, git or forge. `pnpm test` runs these files too, beside the suites on the real servers.
 */
const config = relforgeTestConfig({ name: '@relforge/release-fast' });
export default defineConfig({ ...config, test: { ...config.test, include: ['test/fast/**/*.test.ts'] } });
