/**
 * Sums the per-package vitest JSON reports into one closing line,
 * "N passed, N failed, N skipped", which CI reads to count the tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testResultsDir } from '@relforge/vitest-config';

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  success: boolean;
}

const dir = testResultsDir();
const reports = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.json')) : [];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of reports) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8')) as VitestJsonReport;
  // A suite that failed outside any test (its setup, an import) counts once, so it cannot pass unnoticed.
  const failures = report.numFailedTests || (report.success ? 0 : Math.max(report.numFailedTestSuites, 1));
  passed += report.numPassedTests;
  failed += failures;
  skipped += report.numPendingTests + report.numTodoTests;
  console.log(`${file.replace(/\.json$/, '')}: ${report.numPassedTests} passed, ${failures} failed`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
