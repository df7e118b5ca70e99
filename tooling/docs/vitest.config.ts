import { defineConfig } from 'vitest/config';
import { relforgeTestConfig } from '@relforge/vitest-config';

export default defineConfig(relforgeTestConfig({ name: '@relforge/docs-check' }));
