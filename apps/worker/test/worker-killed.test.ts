import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { releaseWorkflowId, statusQuery, type ReleaseStatus } from '@relforge/release';
import { taskQueue } from '@relforge/temporal-names';
import { createExampleProject, testS3Client, testStack, type ExampleProject } from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let connection: Connection;
let client: Client;
beforeAll(async () => {
  connection = await Connection.connect({ address: testStack().temporal.address });
  client = new Client({ connection, namespace: testStack().temporal.namespace });
});
afterAll(async () => {
  await connection?.close();
});

/** The worker as people run it: its own process, configured by its environment. */
function workerProcess(example: ExampleProject): ChildProcess {
  const { temporal } = testStack();
  return spawn(process.execPath, [workerMain], {
    env: {
      ...process.env,
      ...example.env,
      RELFORGE_TEMPORAL_ADDRESS: temporal.address,
      RELFORGE_NAMESPACE: temporal.namespace,
      RELFORGE_PROJECTS: example.configPath,
      RELFORGE_WORK_DIR: example.workRoot,
    },
    stdio: 'ignore',
  });
}

async function objectCount(example: ExampleProject): Promise<number> {
  const s3 = testS3Client();
  try {
    return (await s3.send(new ListObjectsV2Command({ Bucket: example.bucket }))).KeyCount ?? 0;
  } finally {
    s3.destroy();
  }
}

describe('a worker killed with SIGKILL in the middle of publishing', () => {
  it('is replaced by a new worker that finishes the release with every effect made once', async () => {
    const example = await createExampleProject();
    const version = '5.0.0';
    const handle = await client.workflow.start('release', {
      taskQueue,
      workflowId: releaseWorkflowId(example.project, version),
      args: [{ project: example.project, version }],
    });
    const first = workerProcess(example);
    try {
      // Kill it once the upload has begun: some objects stored, not all.
      for (let waited = 0; ; waited += 100) {
        const status = await handle.query(statusQuery).catch(() => undefined);
        const uploaded = status?.currentStage === 'publish' ? await objectCount(example) : 0;
        if (uploaded > 0 && uploaded < 12) break;
        if (waited > 120_000) throw new Error(`never caught the publish stage (last status: ${JSON.stringify(status)})`);
        await sleep(100);
      }
    } finally {
      first.kill('SIGKILL');
      await once(first, 'exit');
    }
    expect(first.signalCode).toBe('SIGKILL');

    const second = workerProcess(example);
    try {
      const status = (await handle.result()) as ReleaseStatus;
      expect(status.state).toBe('succeeded');
    } finally {
      second.kill('SIGTERM');
      await once(second, 'exit');
    }

    expect(await objectCount(example)).toBe(12);
    const s3 = testS3Client();
    try {
      expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: example.bucket }))).Uploads ?? []).toEqual([]);
    } finally {
      s3.destroy();
    }
    const state = await example.admin.state();
    const releases = state.repos[example.repos.source]?.releases ?? [];
    expect(releases).toHaveLength(1);
    expect(releases[0]?.draft).toBe(false);
    expect(releases[0]?.assets).toHaveLength(12);
    expect(releases[0]?.assets.every((asset) => asset.uploads === 1)).toBe(true);
    expect(state.repos[example.repos.container]?.pulls).toHaveLength(1);
    expect(state.repos[example.repos.website]?.pulls).toHaveLength(1);
    expect(await example.admin.violations()).toEqual([]);
  });
});
