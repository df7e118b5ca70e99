/**
 * The vitest settings every package shares: a JSON report per package (summed
 * by `summary.ts` into the closing "N passed, N failed" line) and, for
 * integration suites, the global setup that starts the real servers.
 */
import { join } from 'node:path';
import { workspaceRoot } from '@relforge/local-stack';
import type { ViteUserConfig } from 'vitest/config';

export interface RelforgeTestOptions {
  /** The package name, used for the report file. */
  name: string;
  /** Start Temporal and S3 for this suite. */
  integration?: boolean;
}

export function relforgeTestConfig(options: RelforgeTestOptions): ViteUserConfig {
  const report = join(workspaceRoot(), '.relforge', 'test-results', `${options.name.replace(/[@/]/g, '_')}.json`);
  return {
    test: {
      include: ['test/**/*.test.ts'],
      reporters: ['default', 'json'],
      outputFile: { json: report },
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // Integration suites share one set of servers; files in parallel would fight over 2 cores.
      fileParallelism: !options.integration,
      ...(options.integration ? { globalSetup: [join(import.meta.dirname, 'global-setup.js')] } : {}),
    },
  };
}
