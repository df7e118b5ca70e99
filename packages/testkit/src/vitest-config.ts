/** Vitest settings for suites that run on the real servers this package starts. */
import { join } from 'node:path';
import { relforgeTestConfig } from '@relforge/vitest-config';
import type { ViteUserConfig } from 'vitest/config';

export function integrationTestConfig(name: string): ViteUserConfig {
  return relforgeTestConfig({ name, globalSetup: join(import.meta.dirname, 'global-setup.js') });
}
