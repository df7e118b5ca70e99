import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { serverBinary } from '@relforge/local-servers';
import { taskQueue } from '@relforge/temporal-names';
import { createExampleProject, testStack } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseWorkflowId, type ReleaseStatus } from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import { connect, release, releaseWorker, servicesFor, type Connections } from './harness.js';
import { checkout } from './inspect.js';

let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

describe('the checksum repository', () => {
  it('refuses a second digest for an existing file name, naming both, and commits nothing', async () => {
    const stale = 'f'.repeat(64);
    const example = await createExampleProject({
      seedHashes: (readme, project) => `${readme}hash ${project}-3.0.0.tar.gz sha256 ${stale} https://old.example.invalid/${project}-3.0.0.tar.gz\n`,
    });
    const { failure, queried } = await release(connections, example, '3.0.0');
    expect(failure).toBeDefined();
    const cause = failure?.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('ReleaseFailed');
    const stage = queried.stages.find((item) => item.name === 'checksum-repo');
    expect(stage?.state).toBe('failed');
    const source = queried.artifacts.find((artifact) => artifact.file === `${example.project}-3.0.0.tar.gz`);
    expect(stage?.error).toContain(`${example.project}-3.0.0.tar.gz`);
    expect(stage?.error).toContain(stale);
    expect(stage?.error).toContain(source?.sha256);
    expect(queried.stages.filter((item) => item.state === 'pending').map((item) => item.name)).toEqual(['container-repo', 'website']);

    // Tried once: a conflict is not something a retry can fix.
    const history = await connections.client.workflow.getHandle(releaseWorkflowId(example.project, '3.0.0')).fetchHistory();
    const attempts = history.events?.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'updateChecksumRepo');
    expect(attempts).toHaveLength(1);
    const failed = history.events?.find((event) => event.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.nonRetryable).toBe(true);
    expect(failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe('HashesConflictError');

    const hashes = await checkout(example.repos.hashes, 'main');
    expect(hashes.commits).toBe(1);
    hashes.done();
  });
});

describe('a release started by the stock temporal CLI with plain JSON', () => {
  it('runs like any other', async () => {
    const example = await createExampleProject();
    const { temporal } = testStack();
    const workflowId = releaseWorkflowId(example.project, '1.2.3');
    await promisify(execFile)(serverBinary('temporal'), [
      'workflow', 'start',
      '--address', temporal.address,
      '--namespace', temporal.namespace,
      '--type', 'release',
      '--task-queue', taskQueue,
      '--workflow-id', workflowId,
      '--input', JSON.stringify({ project: example.project, version: '1.2.3' }),
    ]);
    const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const status = (await worker.runUntil(connections.client.workflow.getHandle(workflowId).result())) as ReleaseStatus;
    expect(status.state).toBe('succeeded');
    expect(status.stages.every((stage) => stage.state === 'succeeded')).toBe(true);
    expect(status.artifacts).toHaveLength(12);
  });
});
