import { defineConfig } from 'vitest/config';
import { relforgeTestConfig } from '@relforge/vitest-config';

// No shared servers: the launcher and the pre-start check make their own databases, certificates and ports.
export default defineConfig(relforgeTestConfig({ name: '@relforge/production-temporal' }));
