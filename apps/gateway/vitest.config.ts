import { defineConfig } from 'vitest/config';
import { integrationTestConfig } from '@relforge/testkit/vitest-config';

export default defineConfig(integrationTestConfig('@relforge/gateway'));
