import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { releaseWorkflowId, type ReleaseStatus } from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import { taskQueue } from '@relforge/temporal-names';
import { createExampleProject } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, releaseWorker, servicesFor, type Connections } from './harness.js';
import { s3Objects } from './inspect.js';

let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

describe('twenty starts of the same version at once', () => {
  it('make one execution and one set of effects, and a start after it finished is refused', async () => {
    const example = await createExampleProject();
    const version = '7.0.0';
    const workflowId = releaseWorkflowId(example.project, version);
    // The options `relforge release` uses: attach to a running release, never redo a completed one.
    const start = () =>
      connections.client.workflow.start('release', {
        taskQueue,
        workflowId,
        args: [{ project: example.project, version }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
    const handles = await Promise.all(Array.from({ length: 20 }, start));
    expect(new Set(handles.map((handle) => handle.firstExecutionRunId)).size).toBe(1);

    const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const status = (await worker.runUntil(handles[0]?.result() as Promise<ReleaseStatus>)) as ReleaseStatus;
    expect(status.state).toBe('succeeded');

    // Visibility is eventually consistent: wait for the listing to show the run before counting.
    let executions: string[] = [];
    for (let attempt = 0; attempt < 50 && executions.length === 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      executions = [];
      for await (const execution of connections.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) executions.push(execution.runId);
    }
    expect(executions).toHaveLength(1);
    expect(await s3Objects(example)).toHaveLength(12);
    const state = await example.admin.state();
    expect(state.repos[example.repos.source]?.releases).toHaveLength(1);
    expect(state.repos[example.repos.source]?.releases[0]?.assets.every((asset) => asset.uploads === 1)).toBe(true);
    expect(state.repos[example.repos.container]?.pulls).toHaveLength(1);
    expect(state.repos[example.repos.website]?.pulls).toHaveLength(1);

    await expect(start()).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  });
});
