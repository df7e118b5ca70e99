/**
 * A worker SIGKILLed while S3 holds one of its multipart uploads half done:
 * the parts it sent stay behind with no one to complete or abort them, and the
 * upload activity is only known dead when its heartbeats stop. A new worker
 * must take the release over and leave S3 as if nothing had happened.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { releaseWorkflowId, type ReleaseStatus } from '@relforge/release';
import type { release } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import {
  createExampleProject,
  exampleSecrets,
  releaseEffects,
  releasedOnce,
  secretsInHistory,
  testS3Client,
} from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { killHard, stopGracefully, suiteClient, until, workerProcess } from './worker-process.js';

const client = suiteClient();

async function sha256Of(body: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('a worker killed with SIGKILL in the middle of a multipart upload', () => {
  it(
    'is replaced by a new worker that aborts the orphaned upload and stores every file once, byte for byte',
    { timeout: 300_000 },
    async () => {
      const example = await createExampleProject({ artifactMiB: 40 });
      const version = '5.1.0';
      const handle = await client().workflow.start<typeof release>('release', {
        taskQueue,
        workflowId: releaseWorkflowId(example.project, version),
        args: [{ project: example.project, version }],
      });
      const s3 = testS3Client();
      try {
        const first = workerProcess(example);
        let interrupted: { key: string; uploadId: string };
        try {
          // Each 40 MiB upload is open for only a few seconds: poll often so the kill lands while one is.
          interrupted = await until(
            'a multipart upload in progress',
            async () => {
              // The publish step's upload, not a builder's staging one.
              const upload = (
                await s3.send(new ListMultipartUploadsCommand({ Bucket: example.bucket, Prefix: 'releases/' }))
              ).Uploads?.[0];
              return upload?.Key && upload.UploadId ? { key: upload.Key, uploadId: upload.UploadId } : undefined;
            },
            240_000,
            20,
          );
        } finally {
          await killHard(first);
        }
        expect(first.signalCode).toBe('SIGKILL');
        // The premise: a killed worker cannot abort its upload, so its parts are left in S3 for the next one to find.
        const left = (await s3.send(new ListMultipartUploadsCommand({ Bucket: example.bucket }))).Uploads ?? [];
        expect(left.map((upload) => upload.UploadId)).toContain(interrupted.uploadId);
        expect(interrupted.key).toMatch(/\.tar\.gz$/);

        const second = workerProcess(example);
        let status: ReleaseStatus;
        try {
          status = (await handle.result()) as ReleaseStatus;
        } finally {
          await stopGracefully(second);
        }
        expect(status.state).toBe('succeeded');
        // The effects count includes unfinished multipart uploads: the killed worker's parts must be gone.
        expect(await releaseEffects(example, version)).toEqual(releasedOnce);

        // The upload step was taken over by the new worker after the first one's heartbeats stopped, not finished by the first.
        const history = await handle.fetchHistory();
        const uploadScheduled = history.events?.find(
          (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'uploadArtifacts',
        );
        const uploadStarted = history.events?.find(
          (event) =>
            event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() ===
            uploadScheduled?.eventId?.toString(),
        );
        expect(uploadStarted?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThanOrEqual(2);
        expect(uploadStarted?.activityTaskStartedEventAttributes?.identity).toMatch(new RegExp(`^${second.pid}@`));

        // Multipart objects carry no whole-object SHA-256 to compare, so read every file back and hash it.
        expect(status.artifacts.length).toBe(releasedOnce.objects);
        for (const artifact of status.artifacts) {
          const object = await s3.send(
            new GetObjectCommand({ Bucket: example.bucket, Key: `releases/${artifact.file}` }),
          );
          expect({ file: artifact.file, sha256: await sha256Of(object.Body as Readable) }).toEqual({
            file: artifact.file,
            sha256: artifact.sha256,
          });
        }

        expect(secretsInHistory(historyToJSON(history), exampleSecrets(example))).toEqual([]);
      } finally {
        s3.destroy();
      }
    },
  );
});
