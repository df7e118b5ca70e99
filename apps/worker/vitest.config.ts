import { defineConfig } from 'vitest/config';
import { relforgeTestConfig } from '@relforge/testkit/vitest-config';

export default defineConfig(relforgeTestConfig({ name: '@relforge/worker', integration: true }));
