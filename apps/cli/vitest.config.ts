import { defineConfig } from 'vitest/config';
import { relforgeTestConfig } from '@relforge/vitest-config';

// No shared servers: these tests start their own stacks through the CLI, as a person would.
export default defineConfig(relforgeTestConfig({ name: '@relforge/cli' }));
