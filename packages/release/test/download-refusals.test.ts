/**
 * The upload step refusing to go on when people could not download what it publishes: on an S3 server that keeps
 * accounts besides root, under a key that may store objects but not touch the bucket's policy, as release keys
 * often are.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { S3Config } from '@relforge/config';
import { Git } from '@relforge/git';
import { freePort, s3Client, serverBinary, startS3Server, type S3Endpoint } from '@relforge/local-servers';
import { ReleaseFailureType } from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import { testStack } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'relforge-refusals-'));
let server: Awaited<ReturnType<typeof startS3Server>>;
const uploader = { accessKeyId: 'relforge-uploader', secretAccessKey: randomBytes(18).toString('base64url') };

beforeAll(async () => {
  const { accessKeyId, secretAccessKey } = testStack().s3;
  server = await startS3Server({
    port: await freePort(),
    dataDir: join(dir, 's3'),
    logFile: join(dir, 's3.log'),
    accessKeyId,
    secretAccessKey,
    iamDir: join(dir, 'iam'),
  });
  execFileSync(
    serverBinary('versitygw'),
    ['admin', '--endpoint-url', server.endpoint.endpoint, 'create-user', '--role', 'user'].concat([
      '--access',
      uploader.accessKeyId,
      '--secret',
      uploader.secretAccessKey,
    ]),
    { env: { ...process.env, ADMIN_ACCESS_KEY_ID: accessKeyId, ADMIN_SECRET_ACCESS_KEY: secretAccessKey } },
  );
});
afterAll(async () => {
  await server?.process.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A bucket whose policy lets the uploader store and read objects, as a release key's would, and nothing more. */
async function uploadersBucket(endpoint: S3Endpoint): Promise<string> {
  const bucket = `refusals-${randomBytes(4).toString('hex')}`;
  const root = s3Client(endpoint);
  try {
    await root.send(new CreateBucketCommand({ Bucket: bucket }));
    const statement = {
      Effect: 'Allow',
      Principal: { AWS: [uploader.accessKeyId] },
      Action: [
        's3:PutObject',
        's3:GetObject',
        's3:ListBucket',
        's3:ListBucketMultipartUploads',
        's3:AbortMultipartUpload',
      ],
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    };
    await root.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
      }),
    );
  } finally {
    root.destroy();
  }
  return bucket;
}

async function storedKeys(bucket: string): Promise<string[]> {
  const root = s3Client(server.endpoint);
  try {
    return ((await root.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map(
      (object) => object.Key ?? '',
    );
  } finally {
    root.destroy();
  }
}

/** The upload step's input for one small file, published by the uploader to `bucket`. */
function uploadOf(bucket: string, publicRead: boolean) {
  const workDir = mkdtempSync(join(dir, 'work-'));
  const file = 'hello-9.9.9.tar.gz.sha256';
  const bytes = Buffer.from(`${'0'.repeat(64)}  hello-9.9.9.tar.gz\n`);
  mkdirSync(join(workDir, 'artifacts'));
  writeFileSync(join(workDir, 'artifacts', file), bytes);
  const s3 = S3Config.parse({
    bucket,
    endpoint: server.endpoint.endpoint,
    forcePathStyle: true,
    publicBaseUrl: `${server.endpoint.endpoint}/${bucket}/releases`,
    publicRead,
    credentials: { accessKeyId: { env: 'UPLOADER_KEY_ID' }, secretAccessKey: { env: 'UPLOADER_SECRET' } },
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { workDir, s3, artifacts: [{ file, size: bytes.length, sha256, kind: 'sidecar' as const }] };
}

async function refusalOf(input: ReturnType<typeof uploadOf>): Promise<ApplicationFailure> {
  const activities = createReleaseActivities({
    projects: new Map(),
    workRoot: dir,
    env: { UPLOADER_KEY_ID: uploader.accessKeyId, UPLOADER_SECRET: uploader.secretAccessKey },
    git: new Git(),
  });
  const refused = await new MockActivityEnvironment()
    .run(activities.uploadArtifacts, input)
    .catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ApplicationFailure);
  const failure = refused as ApplicationFailure;
  expect([failure.type, failure.nonRetryable]).toEqual([ReleaseFailureType.NotDownloadable, true]);
  return failure;
}

describe('an upload whose files people could not download', () => {
  it('stops before storing a byte when the key may not make the prefix public, saying what to grant', async () => {
    const bucket = await uploadersBucket(server.endpoint);
    const failure = await refusalOf(uploadOf(bucket, true));
    expect(failure.message).toBe(
      `bucket ${bucket} refused the policy statement that lets anyone read s3://${bucket}/releases/*: GetBucketPolicy on bucket ${bucket} was refused: AccessDenied (Access Denied.) — fix: give the key s3:GetBucketPolicy and s3:PutBucketPolicy on bucket ${bucket}, and allow public bucket policies there (AWS refuses them with AccessDenied while Block Public Access's BlockPublicPolicy is on); if the files are served another way (a CDN with its own access to the bucket), set publish.s3.publicRead: false instead; then resume the release (with --reload-config if you changed the config)`,
    );
    expect(await storedKeys(bucket)).toEqual([]);
  });

  it('stops after storing when publicRead is off and nothing else lets anyone read the prefix', async () => {
    const bucket = await uploadersBucket(server.endpoint);
    const input = uploadOf(bucket, false);
    const failure = await refusalOf(input);
    const url = `${server.endpoint.endpoint}/${bucket}/releases/hello-9.9.9.tar.gz.sha256`;
    expect(failure.message).toBe(
      `${url}, where people download s3://${bucket}/releases/hello-9.9.9.tar.gz.sha256, answers 403 to a request without credentials — fix: publish.s3.publicRead is false, so Relforge leaves the bucket policy alone and the links work only if whoever serves publish.s3.publicBaseUrl (a CDN, a policy set by hand) lets anyone read s3://${bucket}/releases/*; grant that there, or set publicRead: true; then resume the release (with --reload-config if you changed the config)`,
    );
    // The bytes are stored, create-only: a resume after the fix finds them and checks the link again.
    expect(await storedKeys(bucket)).toEqual(['releases/hello-9.9.9.tar.gz.sha256']);
  });
});
