/**
 * `pnpm bench`: how long a release takes to get going again after its worker
 * is SIGKILLed in the middle of a multipart upload and a new worker is started
 * right away, as an operator or a supervisor would. Goal: the interrupted
 * upload step completes within the heartbeat timeout + 5 s of the kill. Also
 * prints the same release undisturbed, measured from the same point, so the
 * time the kill cost is not confused with the release's own work after the
 * upload (forge assets are posted 1 s apart by the client's write throttling).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { releaseWorkflowId, type ReleaseStatus } from '@relforge/release';
import type { release } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import {
  createExampleProject,
  releaseEffects,
  releasedOnce,
  testS3Client,
  testStack,
  type ExampleProject,
  type ReleaseEffects,
} from '@relforge/testkit';
import { expect, it } from 'vitest';
import { killHard, stopGracefully, until, workerProcess } from '../test/worker-process.js';

/** `remoteStep.heartbeatTimeout` in packages/release/src/workflows.ts: how long a silent upload step is given before it is retried. */
const heartbeatTimeoutMs = 30_000;
const goalMs = heartbeatTimeoutMs + 5_000;

/**
 * Incompressible, reproducible bytes per target: more than two 8 MiB parts, so every tarball goes up as a multipart
 * upload, yet little enough that what is left to upload after the kill does not hide the time recovery itself takes.
 */
const artifactMiB = 16;

/**
 * The example (4 targets + source tarball) with multipart-sized artifacts, stopping after publish: the repository
 * stages come after the upload and would only add the same seconds to both runs.
 */
async function publishOnlyProject(): Promise<ExampleProject> {
  const example = await createExampleProject({ artifactMiB });
  writeFileSync(
    example.configPath,
    readFileSync(example.configPath, 'utf8').replace(/^build:$/m, 'stages: [build, checksum, publish]\nbuild:'),
  );
  return example;
}
const publishedOnce: ReleaseEffects = { ...releasedOnce, hashLines: 0, containerPulls: 0, websitePulls: 0 };

interface Run {
  /** When the first multipart upload was seen in S3: the kill in the killed run, the same point in the other. */
  mark: number;
  uploadStarted: number;
  uploadCompleted: number;
  uploadAttempts: number;
  completed: number;
}

/** The upload step's last attempt, as the server recorded it: when it started, on which attempt, and when it completed. */
async function uploadStep(
  handle: WorkflowHandle,
): Promise<Pick<Run, 'uploadStarted' | 'uploadCompleted' | 'uploadAttempts'>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events
    .find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'uploadArtifacts')
    ?.eventId?.toString();
  const ofUpload = (id: unknown) => id !== undefined && id !== null && String(id) === scheduled;
  const started = events.find((event) => ofUpload(event.activityTaskStartedEventAttributes?.scheduledEventId));
  const completed = events.find((event) => ofUpload(event.activityTaskCompletedEventAttributes?.scheduledEventId));
  if (!started || !completed)
    throw new Error(`the history of ${handle.workflowId} has no completed uploadArtifacts step`);
  return {
    uploadStarted: tsToMs(started.eventTime),
    uploadCompleted: tsToMs(completed.eventTime),
    uploadAttempts: started.activityTaskStartedEventAttributes?.attempt ?? 0,
  };
}

async function releaseOnce(client: Client, kill: boolean): Promise<Run> {
  const example = await publishOnlyProject();
  const version = '6.0.0';
  const handle = await client.workflow.start<typeof release>('release', {
    taskQueue,
    workflowId: releaseWorkflowId(example.project, version),
    args: [{ project: example.project, version }],
  });
  const s3 = testS3Client();
  let worker = workerProcess(example);
  let mark: number;
  let status: ReleaseStatus;
  try {
    await until(
      'a multipart upload in progress',
      async () =>
        (await s3.send(new ListMultipartUploadsCommand({ Bucket: example.bucket, Prefix: 'releases/' }))).Uploads
          ?.length
          ? true
          : undefined,
      240_000,
      20,
    );
    mark = Date.now();
    if (kill) {
      await killHard(worker);
      worker = workerProcess(example);
    }
    status = (await handle.result()) as ReleaseStatus;
  } finally {
    s3.destroy();
    await stopGracefully(worker);
  }
  const completed = Date.now();
  expect(status.state).toBe('succeeded');
  // Recovery that stores a file twice or leaves the killed worker's parts behind is no recovery.
  expect(await releaseEffects(example, version)).toEqual(publishedOnce);
  const upload = await uploadStep(handle);
  if (kill) expect(upload.uploadAttempts).toBeGreaterThanOrEqual(2);
  return { mark, completed, ...upload };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

it('prints how long a release takes to recover from a worker killed mid-upload', { timeout: 1_200_000 }, async () => {
  const { temporal } = testStack();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const rounds: { undisturbed: Run; killed: Run }[] = [];
  try {
    // Interleaved, so a slower minute of the machine falls on both sides.
    for (let round = 0; round < 2; round++)
      rounds.push({ undisturbed: await releaseOnce(client, false), killed: await releaseOnce(client, true) });
  } finally {
    await connection.close();
  }
  const since = (run: Run, at: number) => at - run.mark;
  const figures = rounds.map(({ undisturbed, killed }) => {
    const killedTotal = since(killed, killed.completed);
    const undisturbedTotal = since(undisturbed, undisturbed.completed);
    // Detection: the server retries the step once no heartbeat arrived for the heartbeat timeout (the SDK sends them
    // at most every 0.8 × timeout, so from ~6 s to the full timeout after the kill), after the 1 s retry backoff.
    const detection = since(killed, killed.uploadStarted);
    return {
      detection,
      recovered: since(killed, killed.uploadCompleted),
      retryAttempt: killed.uploadCompleted - killed.uploadStarted,
      undisturbedUpload: since(undisturbed, undisturbed.uploadCompleted),
      killedTotal,
      undisturbedTotal,
      cost: killedTotal - undisturbedTotal,
      // After detection the new worker redoes the interrupted file, checks the stored ones and does what was left;
      // the undisturbed release from the same point only does what was left. 1× means the kill cost nothing but the
      // wait to notice it.
      afterDetection: (killedTotal - detection) / undisturbedTotal,
      attempts: killed.uploadAttempts,
    };
  });
  type Figure = keyof (typeof figures)[number];
  const runs = (figure: Figure, format: (value: number) => string) =>
    `runs: ${figures.map((round) => format(round[figure])).join(' / ')}`;
  const best = (figure: Figure) => Math.min(...figures.map((round) => round[figure]));
  const worst = (figure: Figure) => Math.max(...figures.map((round) => round[figure]));
  const ratio = (value: number) => `${value.toFixed(2)}×`;
  const row = (what: string, figure: string, note: string) => `  ${what.padEnd(46)} ${figure.padStart(7)}   ${note}`;
  // A bound on recovery has to hold every time, so the goal is judged on the slowest run, not the best.
  const met = worst('recovered') <= goalMs;
  console.log(
    [
      '',
      `@relforge/worker: a worker SIGKILLed mid multipart upload, a new one started at once; 4 × ${artifactMiB} MiB targets + source`,
      'tarball, build → checksum → publish, worker processes on the local stack (Temporal dev server, versitygw, GitHub stand-in);',
      'each figure is the best of 2 rounds, times from the kill (or, without a kill, from the same point: the first multipart upload)',
      '',
      row(
        'kill → upload step retried on the new worker',
        seconds(best('detection')),
        `${runs('detection', seconds)}; heartbeat timeout ${seconds(heartbeatTimeoutMs)} + 1 s backoff`,
      ),
      row(
        'kill → upload step completed',
        seconds(best('recovered')),
        `${runs('recovered', seconds)}; goal ≤ ${seconds(goalMs)} (heartbeat timeout + 5 s) in every run: ${met ? 'met' : 'MISSED'}`,
      ),
      row("  of which the new worker's attempt", seconds(best('retryAttempt')), runs('retryAttempt', seconds)),
      row('no kill → upload step completed', seconds(best('undisturbedUpload')), runs('undisturbedUpload', seconds)),
      row('kill → release completed', seconds(best('killedTotal')), runs('killedTotal', seconds)),
      row('no kill → release completed', seconds(best('undisturbedTotal')), runs('undisturbedTotal', seconds)),
      row('time the kill cost', seconds(best('cost')), `${runs('cost', seconds)}; kill → completed minus no kill`),
      row(
        'after detection / no kill',
        ratio(best('afterDetection')),
        `${runs('afterDetection', ratio)}; (kill → completed − retried) / no kill`,
      ),
      row(
        'duplicates',
        'none',
        `upload attempts ${figures.map((round) => round.attempts).join(' / ')}; S3 objects, unfinished uploads, assets: once each`,
      ),
      '',
    ].join('\n'),
  );
});
