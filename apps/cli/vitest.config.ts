import { defineConfig } from 'vitest/config';
import { relforgeTestConfig } from '@relforge/vitest-config';

// No shared servers: these tests start their own stacks through the CLI, as a person would. The rollback and
// resume-starter suites run on the shared test servers instead: vitest.rollback.config.ts.
const config = relforgeTestConfig({ name: '@relforge/cli' });
export default defineConfig({
  ...config,
  test: { ...config.test, exclude: ['test/rollback.test.ts', 'test/resume-starter.test.ts', '**/node_modules/**'] },
});
