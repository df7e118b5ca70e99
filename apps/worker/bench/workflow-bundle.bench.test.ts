/**
 * `pnpm bench`: what a worker's start pays for its workflow code. The baseline is what the SDK does at every start
 * given `workflowsPath` (webpack over the built workflows, median of 3); against it, the kept bundle of the same code,
 * found by its digest (median of 5). Goal: the kept bundle costs ≤ 5% of a fresh one, since every restart of a worker
 * (after a kill, each `relforge stack up`, each test that starts one) pays it.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { cachedWorkflowBundle } from '@relforge/workflow-bundle';
import { expect, it } from 'vitest';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };
const packageDir = fileURLToPath(new URL('..', import.meta.url));
// The built workflows, as `relforge worker` bundles them (`pnpm bench` builds first).
const workflowsPath = fileURLToPath(new URL('../dist/workflows.js', import.meta.url));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

it('prints a fresh workflow bundle against the kept one, and their ratio', { timeout: 600_000 }, async () => {
  const fresh: number[] = [];
  for (let run = 0; run < 3; run++) fresh.push(await timed(() => bundleWorkflowCode({ workflowsPath, logger: quiet })));
  // Made once if this build has none yet; every start after it finds it.
  await cachedWorkflowBundle(packageDir, workflowsPath, quiet);
  const kept: number[] = [];
  for (let run = 0; run < 5; run++)
    kept.push(await timed(() => cachedWorkflowBundle(packageDir, workflowsPath, quiet)));
  const ratio = median(kept) / median(fresh);
  console.log(
    [
      'workflow code at worker start:',
      `  fresh bundle (webpack, the SDK's default)  median ${median(fresh).toFixed(0)} ms  (${fresh.map((ms) => ms.toFixed(0)).join(', ')})`,
      `  kept bundle (digest of the built code)      median ${median(kept).toFixed(1)} ms  (${kept.map((ms) => ms.toFixed(1)).join(', ')})`,
      `  kept / fresh = ${ratio.toFixed(4)}  (goal ≤ 0.05)`,
    ].join('\n'),
  );
  expect(ratio).toBeLessThanOrEqual(0.05);
});
