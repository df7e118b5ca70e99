/**
 * The vitest settings every package shares: tests under test/, generous
 * timeouts for real servers, and a JSON report per package that
 * `@relforge/testkit`'s summary adds up into the closing "N passed, N failed".
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ViteUserConfig } from 'vitest/config';

export interface RelforgeTestOptions {
  /** The package name, used for the report file. */
  name: string;
  /** A global setup module, e.g. the one that starts the real servers. */
  globalSetup?: string;
}

export function testResultsDir(from = process.cwd()): string {
  let dir = from;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, '.relforge', 'test-results');
}

export function relforgeTestConfig(options: RelforgeTestOptions): ViteUserConfig {
  return {
    test: {
      include: ['test/**/*.test.ts'],
      reporters: ['default', 'json'],
      outputFile: { json: join(testResultsDir(), `${options.name.replace(/[@/]/g, '_')}.json`) },
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // Suites on shared servers run their files one at a time: 2 cores, and tests that count effects.
      fileParallelism: !options.globalSetup,
      ...(options.globalSetup ? { globalSetup: [options.globalSetup] } : {}),
    },
  };
}
