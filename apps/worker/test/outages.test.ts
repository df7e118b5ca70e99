/**
 * Servers the worker depends on going away in the middle of a release and
 * coming back: the Temporal server (restarted on its DB file) and the S3
 * server. The worker process must ride both out, and the release must end as
 * if nothing had happened: every effect made once, no secret in history.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { historyToJSON, type History } from '@temporalio/common/lib/proto-utils.js';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { ensureBucket, freePort, s3Client, startS3Server, type StartS3Options } from '@relforge/local-servers';
import { releaseWorkflowId, statusQuery, type ReleaseStatus } from '@relforge/release';
import type { release } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import {
  createExampleProject,
  exampleSecrets,
  releaseEffects,
  releasedOnce,
  secretsInHistory,
  startDevServer,
  testS3Client,
  testStack,
  type DevServer,
  type ExampleProject,
} from '@relforge/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { stopGracefully, suiteClient, until, workerProcess } from './worker-process.js';

function startRelease(
  client: Client,
  example: ExampleProject,
  version: string,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return client.workflow.start<typeof release>('release', {
    taskQueue,
    workflowId: releaseWorkflowId(example.project, version),
    args: [{ project: example.project, version }],
  });
}

/** Published objects only: the staged copies are made at the build and checksum stages. */
async function objectCount(s3: S3Client, bucket: string): Promise<number> {
  return (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'releases/' }))).KeyCount ?? 0;
}

/**
 * The release's final status. A step that failed for good parks the release waiting for an operator instead of
 * failing it; that is reported at once with the step's error rather than as a timeout.
 */
async function finished(handle: WorkflowHandle, timeoutMs = 240_000): Promise<ReleaseStatus> {
  const result = (handle.result() as Promise<ReleaseStatus>).then((status) => ({ status }));
  // Awaited on every turn of the loop below; this keeps a rejection seen while we sleep from being "unhandled".
  result.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ended = await Promise.race([result, sleep(500)]);
    if (ended) return ended.status;
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status?.state === 'waiting')
      throw new Error(`the release stopped to wait for an operator at ${status.currentStage}: ${status.error}`);
    if (Date.now() > deadline)
      throw new Error(`the release did not end within ${timeoutMs} ms; last status: ${JSON.stringify(status)}`);
  }
}

/** The release's upload step in a history: the attempt that completed it (history keeps only the last one's start) and when. */
function uploadStep(history: History): { attempt?: number; completedMs?: number } {
  const events = history.events ?? [];
  const scheduled = events
    .find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'uploadArtifacts')
    ?.eventId?.toString();
  const started = events.find(
    (event) => event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled,
  );
  const completed = events.find(
    (event) => event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled,
  );
  return {
    ...(started?.activityTaskStartedEventAttributes?.attempt
      ? { attempt: started.activityTaskStartedEventAttributes.attempt }
      : {}),
    ...(completed ? { completedMs: tsToMs(completed.eventTime) } : {}),
  };
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Graceful stop, or SIGKILL if a worker that lost its server cannot finish shutting down: cleanup must not hang. */
async function stopWorker(child: ChildProcess): Promise<void> {
  const killLater = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    await stopGracefully(child);
  } finally {
    clearTimeout(killLater);
  }
}

describe('the Temporal server stopped in the middle of publishing and started again on its DB file', () => {
  it(
    'is reconnected to by the same worker process, which finishes the same run with every effect made once',
    { timeout: 300_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'relforge-temporal-outage-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      const dbFilename = join(dir, 'temporal.db');
      const port = await freePort();
      const example = await createExampleProject({ artifactMiB: 24 });
      const version = '6.0.0';
      let server: DevServer | undefined = await startDevServer({ dbFilename, port });
      let worker: ChildProcess | undefined;
      const s3 = testS3Client();
      try {
        worker = workerProcess(example, { temporal: { address: server.address, namespace: server.namespace } });
        const started = await startRelease(server.env.client, example, version);
        await until(
          'the upload step to have stored a first file',
          async () => {
            const status = await started.query(statusQuery);
            return status.currentStage === 'publish' && (await objectCount(s3, example.bucket)) > 0 ? true : undefined;
          },
          240_000,
          50,
        );
        const stoppedMs = Date.now();
        await server.teardown();
        server = undefined;
        // A few seconds, like a restart for an upgrade: the worker's polls and the upload step's heartbeats fail meanwhile.
        // (Down for more than ~10 s, the worker gives up reporting a finished step; the server then times the step out
        // on its heartbeats and it runs again, finding its files stored: slower, same effects.)
        await sleep(5_000);
        expect(isRunning(worker), 'the worker process exited while the Temporal server was down').toBe(true);

        server = await startDevServer({ dbFilename, port });
        const handle = server.env.client.workflow.getHandle(started.workflowId);
        expect((await handle.describe()).runId).toBe(started.firstExecutionRunId);
        const status = await finished(handle);
        expect(status.state).toBe('succeeded');
        expect(isRunning(worker), 'the worker process exited after the Temporal server came back').toBe(true);

        const history = await handle.fetchHistory();
        // The outage hit the upload step while it ran: the server heard of its completion only after the restart.
        expect(uploadStep(history).completedMs).toBeGreaterThan(stoppedMs);
        expect(await releaseEffects(example, version)).toEqual(releasedOnce);
        expect(secretsInHistory(historyToJSON(history), exampleSecrets(example))).toEqual([]);
      } finally {
        s3.destroy();
        if (worker) await stopWorker(worker);
        await server?.teardown();
      }
    },
  );
});

describe('an upload step cut off by the S3 server going down', () => {
  const client = suiteClient();

  it(
    'is retried until S3 is back, and the release stores every file once and leaves no upload open',
    { timeout: 300_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'relforge-s3-outage-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      // The stack's credentials, so the example's worker environment (and the secrets searched for in history) fit this server too.
      const { accessKeyId, secretAccessKey } = testStack().s3;
      const options: StartS3Options = {
        port: await freePort(),
        dataDir: join(dir, 'data'),
        logFile: join(dir, 's3.log'),
        accessKeyId,
        secretAccessKey,
      };
      let s3Server = await startS3Server(options);
      let worker: ChildProcess | undefined;
      try {
        const example = await createExampleProject({ artifactMiB: 24 });
        const version = '6.1.0';
        await ensureBucket(s3Server.endpoint, example.bucket);
        worker = workerProcess(example, { env: { RELFORGE_S3_PORT: String(options.port) } });
        const handle = await startRelease(client(), example, version);

        // Cut S3 off while a multipart upload is open, after the first file is stored: the worst moment, which leaves parts behind.
        const s3 = s3Client(s3Server.endpoint);
        let beforeOutage: { stored: number; open: number };
        try {
          beforeOutage = await until(
            'a multipart upload in progress after a first file is stored',
            async () => {
              const stored = await objectCount(s3, example.bucket);
              const open =
                (await s3.send(new ListMultipartUploadsCommand({ Bucket: example.bucket, Prefix: 'releases/' })))
                  .Uploads?.length ?? 0;
              return stored > 0 && open > 0 ? { stored, open } : undefined;
            },
            240_000,
            20,
          );
        } finally {
          s3.destroy();
        }
        await s3Server.process.stop();
        expect(beforeOutage.stored).toBeLessThan(releasedOnce.objects);
        // Longer than the AWS SDK's own retries (three attempts within a second or so): the upload step itself fails.
        await sleep(10_000);
        s3Server = await startS3Server(options);

        const status = await finished(handle);
        expect(status.state).toBe('succeeded');
        expect(isRunning(worker), 'the worker process exited during the S3 outage').toBe(true);

        const history = await handle.fetchHistory();
        // The outage was seen: the attempt that stored the files was not the first.
        expect(uploadStep(history).attempt).toBeGreaterThan(1);
        // The effects count includes unfinished multipart uploads: the one the outage cut off must be gone.
        expect(await releaseEffects(example, version, s3Client(s3Server.endpoint))).toEqual(releasedOnce);
        expect(secretsInHistory(historyToJSON(history), exampleSecrets(example))).toEqual([]);
      } finally {
        if (worker) await stopWorker(worker);
        await s3Server.process.stop();
      }
    },
  );
});
