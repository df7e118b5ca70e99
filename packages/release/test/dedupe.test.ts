import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { ReleaseFailureType, releaseWorkflowId, type ReleaseStatus } from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import { taskQueue } from '@relforge/temporal-names';
import type { release as releaseWorkflow } from '@relforge/release/workflows';
import { createExampleProject, releaseEffects, releasedOnce, stockStartRelease, testStack } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, releaseWorker, secretsIn, servicesFor, type Connections } from './harness.js';

const stockStart = (workflowId: string, input: object) => stockStartRelease(testStack().temporal, workflowId, input);

let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

describe('twenty starts of the same version at once, and two from the stock CLI', () => {
  it('make one execution and one set of effects, and a start after it finished is refused', async () => {
    const example = await createExampleProject();
    const version = '7.0.0';
    const workflowId = releaseWorkflowId(example.project, version);
    // The options `relforge release` uses: attach to a running release, never redo a completed one.
    const start = () =>
      connections.client.workflow.start<typeof releaseWorkflow>('release', {
        taskQueue,
        workflowId,
        args: [{ project: example.project, version }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
    const input = { project: example.project, version };
    const [handles, stock] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, start)),
      Promise.all([stockStart(workflowId, input), stockStart(workflowId, input)]),
    ]);
    expect(new Set(handles.map((handle) => handle.firstExecutionRunId)).size).toBe(1);
    // The stock CLI either started the one execution or was told it runs already; never a second one.
    for (const attempt of stock) if (!attempt.ok) expect(attempt.output).toMatch(/already (started|running)/i);

    const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const status = (await worker.runUntil(handles[0]?.result() as Promise<ReleaseStatus>)) as ReleaseStatus;
    expect(status.state).toBe('succeeded');

    // Visibility is eventually consistent: wait for the listing to show the run before counting.
    let executions: string[] = [];
    for (let attempt = 0; attempt < 50 && executions.length === 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      executions = [];
      for await (const execution of connections.client.workflow.list({ query: `WorkflowId = "${workflowId}"` }))
        executions.push(execution.runId);
    }
    expect(executions).toHaveLength(1);
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);

    await expect(start()).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    // The stock CLI's default policy lets a closed id run again: that run stops in its first step, changing nothing.
    const late = await stockStart(workflowId, input);
    expect(late.ok).toBe(true);
    const again = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const refused = await again.runUntil(
      connections.client.workflow
        .getHandle(workflowId)
        .result()
        .then(
          () => undefined,
          (error: unknown) => error,
        ),
    );
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    expect((refused as WorkflowFailedError).cause?.message).toContain('was already released by run');
    // Typed, so clients show the completed release instead of a failure.
    expect(((refused as WorkflowFailedError).cause as ApplicationFailure).type).toBe(
      ReleaseFailureType.AlreadyReleased,
    );
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);
    for (const runId of [handles[0]?.firstExecutionRunId, undefined])
      expect(await secretsIn(connections, example, workflowId, runId)).toEqual([]);
  }, 240_000);
});
