import { defineConfig } from 'vitest/config';
import { integrationTestConfig } from '@relforge/testkit/vitest-config';

// Benchmarks report figures; they are not tests and write no test report.
const config = integrationTestConfig('@relforge/gateway bench');
export default defineConfig({
  test: { ...config.test, include: ['bench/**/*.bench.test.ts'], reporters: ['default'], outputFile: {} },
});
