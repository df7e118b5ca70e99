/**
 * `pnpm bench`: a 20-artifact release with no-op builds, on the real local
 * servers, through the release workflow and through a bare workflow calling
 * the same activities. Prints both and the ratio (goal ≤ 1.3×): the price of
 * Relforge's orchestration — status, search attributes, stage records.
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { Git } from '@relforge/git';
import { createReleaseActivities } from '@relforge/release/activities';
import { releaseWorkflowId } from '@relforge/release';
import { taskQueue } from '@relforge/temporal-names';
import { testStack } from '@relforge/testkit';
import { expect, it } from 'vitest';
import { releaseWorker } from '../test/harness.js';
import { archs, distros, twentyArtifactProject } from './twenty-artifacts.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

it('prints a 20-artifact release against the same activities in a bare workflow', { timeout: 900_000 }, async () => {
  const { temporal } = testStack();
  const connection = await Connection.connect({ address: temporal.address });
  const native = await NativeConnection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    logger: quiet,
  });
  const timings: Record<'release' | 'bareRelease', number[]> = { release: [], bareRelease: [] };
  try {
    // Interleaved, so a slower minute of the machine falls on both sides.
    for (const round of [1, 2]) {
      for (const workflow of ['bareRelease', 'release'] as const) {
        const example = await twentyArtifactProject();
        const activities = createReleaseActivities({
          projects: new Map([[example.project, example.configPath]]),
          workRoot: example.workRoot,
          env: example.env,
          git: new Git(),
        });
        // One process builds every platform, as the bare workflow's one worker does.
        const worker = await releaseWorker({ native }, activities, {
          builds: distros.flatMap((distro) => archs.map((arch) => ({ distro, arch }))),
          workflowBundle,
        });
        const started = performance.now();
        const result = await worker.runUntil(
          client.workflow.execute(workflow, {
            taskQueue,
            workflowId: `${releaseWorkflowId(example.project, '4.0.0')}/${workflow}-${round}`,
            args: [{ project: example.project, version: '4.0.0' }],
          }),
        );
        timings[workflow].push(performance.now() - started);
        if (workflow === 'release') expect((result as { state: string }).state).toBe('succeeded');
        else expect(result).toBe(42);
      }
    }
  } finally {
    await connection.close();
    await native.close();
  }
  const best = (values: number[]) => Math.min(...values);
  const ratio = best(timings.release) / best(timings.bareRelease);
  console.log(
    [
      '',
      '@relforge/release: 20-artifact release, no-op builds, local stack (Temporal dev server, versitygw, GitHub stand-in); best of 2',
      '',
      `  bare workflow, same activities   ${seconds(best(timings.bareRelease))}   (runs: ${timings.bareRelease.map(seconds).join(' / ')})`,
      `  release workflow                 ${seconds(best(timings.release))}   (runs: ${timings.release.map(seconds).join(' / ')})`,
      `  release / bare                   ${ratio.toFixed(2)}×   goal ≤ 1.30×   ${ratio <= 1.3 ? 'met' : 'MISSED'}`,
      '',
    ].join('\n'),
  );
});
