import { defineConfig } from 'vitest/config';
import { integrationTestConfig } from '@relforge/testkit/vitest-config';

// The rollback and resume-starter suites run releases on the shared test servers, with the worker as its own process,
// and the CLI against them; the other suites start whole stacks of their own (vitest.config.ts).
const config = integrationTestConfig('@relforge/cli-rollback');
export default defineConfig({
  ...config,
  test: { ...config.test, include: ['test/rollback.test.ts', 'test/resume-starter.test.ts'] },
});
