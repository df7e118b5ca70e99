/**
 * A version already released is never released again by accident: a second
 * trigger stops before any step. Releasing it again on purpose takes the
 * `rerelease` input with a reason, is audited, and still cannot change a
 * digest that was published.
 */
import { join } from 'node:path';
import {
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { releaseWorkflowId, type ReleaseInput, type ReleaseStatus } from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import type { release as releaseWorkflow } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { createExampleProject, releaseEffects, releasedOnce, type ExampleProject } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  release,
  releaseWorker,
  scheduled,
  secretsIn,
  servicesFor,
  untilState,
  type Connections,
} from './harness.js';
import { expireStaged, pushCommit, s3Objects } from './inspect.js';

let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

/** A start as the stock `temporal workflow start` makes it: Temporal's default policy lets a closed id run again. */
function startAgain(example: ExampleProject, input: ReleaseInput): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return connections.client.workflow.start<typeof releaseWorkflow>('release', {
    taskQueue,
    workflowId: releaseWorkflowId(input.project, input.version),
    args: [input],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}

async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const error = await handle.result().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause as ApplicationFailure;
}

describe('a version that was released already', () => {
  it('is refused by a second start without the flag, before any step; with the flag it is audited and changes nothing', async () => {
    const example = await createExampleProject();
    const version = '8.0.0';
    const first = await release(connections, example, version);
    expect(first.status?.state).toBe('succeeded');
    const objectsBefore = await s3Objects(example);

    const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    await worker.runUntil(async () => {
      const again = await startAgain(example, { project: example.project, version });
      const cause = await failureOf(again);
      expect(cause.message).toContain(
        `${example.project} ${version} was already released by run ${first.handle.firstExecutionRunId}`,
      );
      expect(cause.message).toContain('--rerelease --reason');
      // It stopped in prepare: no build, no upload.
      expect(await scheduled(again, 'prepareRelease')).toBe(1);
      expect(await scheduled(again, 'buildTarget')).toBe(0);

      // The branch moved on since: a re-release must still build the released commit, not the branch.
      const moved = await pushCommit(example.repos.source, 'main', 'work after 8.0.0');
      expect(moved).not.toBe(first.status?.sourceCommit);
      const on = await startAgain(example, {
        project: example.project,
        version,
        rerelease: { reason: 'asset page was broken', by: 'ops@test' },
      });
      const status = (await on.result()) as ReleaseStatus;
      expect(status.state).toBe('succeeded');
      expect(status.audit).toEqual([
        { at: expect.any(String), action: 'rerelease', note: 'asset page was broken', by: 'ops@test' },
      ]);
      // Built again from the released tag's commit, not the branch: the same commit, the same bytes, nothing new anywhere.
      expect(status.sourceCommit).toBe(first.status?.sourceCommit);
      const publish = status.stages.find((stage) => stage.name === 'publish');
      expect(publish?.outputs).toMatchObject({
        s3: '0 uploaded, 12 already there',
        assets: '0 uploaded, 12 already there',
      });
      for (const run of [again, on])
        expect(await secretsIn(connections, example, run.workflowId, run.firstExecutionRunId)).toEqual([]);
    });
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);
    expect(
      (await s3Objects(example)).map(({ Key, ETag, LastModified }) => [Key, ETag, LastModified?.toISOString()]),
    ).toEqual(objectsBefore.map(({ Key, ETag, LastModified }) => [Key, ETag, LastModified?.toISOString()]));
  }, 300_000);

  it('refuses a re-release without a reason, or of a version never tagged, naming the field, before any step', async () => {
    const example = await createExampleProject();
    const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const cause = await worker.runUntil(
      failureOf(await startAgain(example, { project: example.project, version: '8.0.1', rerelease: { reason: ' ' } })),
    );
    expect(cause.message).toContain('rerelease.reason: a re-release needs a reason for the audit trail');

    const worker2 = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const never = await worker2.runUntil(
      failureOf(
        await startAgain(example, { project: example.project, version: '8.0.2', rerelease: { reason: 'typo' } }),
      ),
    );
    expect(never.message).toContain(
      `rerelease: ${example.project} 8.0.2 has no tag v8.0.2 in ${example.repos.source} to rebuild from`,
    );
    expect(await releaseEffects(example, '8.0.2')).toEqual({
      ...releasedOnce,
      objects: 0,
      staged: 0,
      releases: 0,
      assets: 0,
      uploadsPerAsset: [],
      hashLines: 0,
      containerPulls: 0,
      websitePulls: 0,
    });
  });

  it('built differently on another machine, waits for an operator at publish instead of replacing a published file', async () => {
    // Not reproducible: every build differs, as a build stamping the clock would.
    const example = await createExampleProject({ buildCommand: 'make dist && date +%s%N >> "$RELFORGE_ARTIFACT"' });
    const version = '8.1.0';
    const first = await release(connections, example, version);
    expect(first.status?.state).toBe('succeeded');
    // A builder that never saw the first release's files: not on its disk, and expired from staging.
    expect(await expireStaged(example)).toBe(releasedOnce.staged);
    const objectsBefore = await s3Objects(example);

    const elsewhere = { ...servicesFor(example), workRoot: join(example.workRoot, '..', 'another-worker') };
    const worker = await releaseWorker(connections, createReleaseActivities(elsewhere));
    await worker.runUntil(async () => {
      const handle = await startAgain(example, {
        project: example.project,
        version,
        rerelease: { reason: 'rebuild on the new builder' },
      });
      const waiting = await untilState(handle, 'waiting');
      expect(waiting.currentStage).toBe('publish');
      const published = first.status?.artifacts.find(
        (artifact) => artifact.file === `${example.project}-${version}-bookworm-x86_64.tar.gz`,
      );
      const rebuilt = waiting.artifacts.find((artifact) => artifact.file === published?.file);
      expect(rebuilt?.sha256).not.toBe(published?.sha256);
      expect(waiting.error).toContain(published?.sha256);
      expect(waiting.error).toContain(rebuilt?.sha256);
      await handle.signal('abort', { reason: 'keeping the published build' });
      expect((await failureOf(handle)).message).toContain('aborted by an operator');
      expect(await secretsIn(connections, example, handle.workflowId, handle.firstExecutionRunId)).toEqual([]);
    });
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);
    // The published files are untouched; staging holds the rebuilt ones, which were never published.
    const published = (await s3Objects(example)).filter(({ Key }) => Key?.startsWith('releases/'));
    expect(published.map(({ Key, ETag }) => [Key, ETag])).toEqual(objectsBefore.map(({ Key, ETag }) => [Key, ETag]));
  }, 300_000);
});
