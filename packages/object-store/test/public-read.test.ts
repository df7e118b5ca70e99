import { GetBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { createTestBucket, testS3Client, testStack } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore, publicReadStatement } from '../src/index.js';

/** What anyone on the internet gets: a plain GET, no credentials. */
async function anonymousGet(bucket: string, key: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${testStack().s3.endpoint}/${bucket}/${key}`);
  return { status: response.status, body: await response.text() };
}

async function storedPolicy(bucket: string): Promise<{ Statement: { Sid?: string }[] }> {
  const client = testS3Client();
  try {
    const { Policy } = await client.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    return JSON.parse(Policy ?? '{}') as { Statement: { Sid?: string }[] };
  } finally {
    client.destroy();
  }
}

/** A policy a person set before Relforge came, written as is. */
async function setPolicyByHand(bucket: string, statements: object[]): Promise<void> {
  const client = testS3Client();
  try {
    const Policy = JSON.stringify({ Version: '2012-10-17', Statement: statements });
    await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy }));
  } finally {
    client.destroy();
  }
}

describe('public read of a release prefix on the local S3 server', () => {
  it('lets anyone download the objects under the prefix, and nothing else of the bucket', async () => {
    const bucket = await createTestBucket('public-read');
    const store = new S3ObjectStore({ bucket, client: testS3Client() });
    for (const key of ['releases/hello-1.0.0.tar.gz', 'private/notes.txt', 'releases-old/hello-0.9.tar.gz'])
      await store.upload(key, Buffer.from(`bytes of ${key}`));
    expect((await anonymousGet(bucket, 'releases/hello-1.0.0.tar.gz')).status).toBe(403);

    expect((await store.allowPublicRead('releases/')).changed).toBe(true);

    expect(await anonymousGet(bucket, 'releases/hello-1.0.0.tar.gz')).toEqual({
      status: 200,
      body: 'bytes of releases/hello-1.0.0.tar.gz',
    });
    // A sibling whose name merely starts like the prefix stays private: the grant is "releases/*", not "releases*".
    expect((await anonymousGet(bucket, 'releases-old/hello-0.9.tar.gz')).status).toBe(403);
    expect((await anonymousGet(bucket, 'private/notes.txt')).status).toBe(403);
    // Reading is not listing.
    expect((await anonymousGet(bucket, '?list-type=2&prefix=releases/')).status).toBe(403);
  });

  it('adds its statement once, keeping the statements that were there', async () => {
    const bucket = await createTestBucket('policy-kept');
    const store = new S3ObjectStore({ bucket, client: testS3Client() });
    const theirs = {
      Sid: 'DocsAreReadable',
      Effect: 'Allow',
      Principal: { AWS: ['*'] },
      Action: ['s3:GetObject'],
      Resource: [`arn:aws:s3:::${bucket}/docs/*`],
    };
    await setPolicyByHand(bucket, [theirs]);

    expect((await store.allowPublicRead('releases/')).changed).toBe(true);
    const once = await storedPolicy(bucket);
    expect((await store.allowPublicRead('releases/')).changed).toBe(false);
    expect(await storedPolicy(bucket)).toEqual(once);
    expect(once.Statement).toEqual([theirs, publicReadStatement(bucket, 'releases/')]);

    // Another project's prefix in the same bucket gets a statement of its own beside it.
    expect((await store.allowPublicRead('nightly/')).changed).toBe(true);
    expect((await storedPolicy(bucket)).Statement.map((statement) => statement.Sid)).toEqual([
      'DocsAreReadable',
      publicReadStatement(bucket, 'releases/').Sid,
      publicReadStatement(bucket, 'nightly/').Sid,
    ]);
  });

  it('finds its grant in any of the spellings a server may hand back, and adds nothing', async () => {
    const bucket = await createTestBucket('policy-spelled');
    const store = new S3ObjectStore({ bucket, client: testS3Client() });
    const ours = publicReadStatement(bucket, 'releases/');
    const respelled = {
      ...ours,
      Sid: 'SetByHand',
      Principal: { AWS: '*' },
      Action: [ours.Action],
      Resource: [ours.Resource],
    };
    await setPolicyByHand(bucket, [respelled]);
    expect((await store.allowPublicRead('releases/')).changed).toBe(false);
    expect((await storedPolicy(bucket)).Statement).toEqual([respelled]);
  });
});
