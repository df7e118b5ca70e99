import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { createTestBucket, testS3Client } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { ObjectExistsError, S3ObjectStore } from '../src/index.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();

describe('S3 object store on the local S3 server', () => {
  it('puts, gets and lists small objects with their bytes intact', async () => {
    const store = new S3ObjectStore({ bucket: await createTestBucket('put-get'), client: testS3Client() });
    const bodies = new Map([
      ['releases/hello-1.0.0.tar.gz', randomBytes(4096)],
      ['releases/hello-1.0.0.tar.gz.sha256', Buffer.from('abc  hello-1.0.0.tar.gz\n')],
      ['other/readme.txt', Buffer.from('not a release')],
    ]);
    for (const [key, body] of bodies) await store.upload(key, body);

    for (const [key, body] of bodies) {
      expect(await buffer(await store.get(key))).toEqual(body);
    }
    const listed: string[] = [];
    for await (const object of store.list('releases/')) listed.push(object.key);
    expect(listed.sort()).toEqual(['releases/hello-1.0.0.tar.gz', 'releases/hello-1.0.0.tar.gz.sha256']);
    const head = await store.head('releases/hello-1.0.0.tar.gz');
    expect(head?.size).toBe(4096);
    expect(head?.checksumSha256).toBe(sha256(bodies.get('releases/hello-1.0.0.tar.gz') as Buffer).toString('base64'));
    expect(await store.head('releases/missing.tar.gz')).toBeUndefined();
  });

  it('uploads a file in more than two parts and reads back the same bytes', async () => {
    const client = testS3Client();
    const bucket = await createTestBucket('multipart');
    const store = new S3ObjectStore({ bucket, client });
    const body = randomBytes(17 * MiB);
    const progress: number[] = [];

    // Streamed, not a Buffer: lib-storage only splits streams it cannot size up front into parts as they arrive.
    const info = await store.upload('releases/big.tar.gz', Readable.from(chunks(body, 256 * 1024)), {
      partSize: 5 * MiB,
      onProgress: (loaded) => progress.push(loaded),
    });

    // A multipart ETag ends in "-<parts>": 17 MiB at 5 MiB a part is four parts.
    expect(info.etag).toMatch(/-4"?$/);
    expect(info.size).toBe(body.length);
    expect(progress.at(-1)).toBe(body.length);
    const read = await buffer(await store.get('releases/big.tar.gz'));
    expect(sha256(read)).toEqual(sha256(body));
    const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(pending.Uploads ?? []).toHaveLength(0);
  });
});

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

describe('guarded uploads', () => {
  it('refuses bytes that do not match the SHA-256 they were sent with', async () => {
    const store = new S3ObjectStore({ bucket: await createTestBucket('digest'), client: testS3Client() });
    const body = Buffer.from('the real tarball');
    const other = sha256(Buffer.from('a different tarball')).toString('hex');
    await expect(store.upload('releases/x.tar.gz', body, { sha256: other })).rejects.toThrow();
    expect(await store.head('releases/x.tar.gz')).toBeUndefined();

    const info = await store.upload('releases/x.tar.gz', body, {
      sha256: sha256(body).toString('hex'),
      metadata: { sha256: sha256(body).toString('hex') },
    });
    expect(info.checksumSha256).toBe(sha256(body).toString('base64'));
    expect(info.metadata).toEqual({ sha256: sha256(body).toString('hex') });
  });

  it('creates only when asked to, leaving what is there untouched', async () => {
    const store = new S3ObjectStore({ bucket: await createTestBucket('if-absent'), client: testS3Client() });
    await store.upload('releases/y.tar.gz', Buffer.from('first'), { ifAbsent: true });
    await expect(store.upload('releases/y.tar.gz', Buffer.from('second'), { ifAbsent: true })).rejects.toBeInstanceOf(
      ObjectExistsError,
    );
    expect((await buffer(await store.get('releases/y.tar.gz'))).toString()).toBe('first');
  });
});

describe('unfinished multipart uploads', () => {
  it("are aborted for one key, leaving other keys' uploads alone", async () => {
    const client = testS3Client();
    const bucket = await createTestBucket('orphans');
    const store = new S3ObjectStore({ bucket, client });
    // What a worker killed mid-upload leaves: an upload created, one part sent, never completed nor aborted.
    for (const key of ['releases/a.tar.gz', 'releases/a.tar.gz', 'releases/b.tar.gz']) {
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: randomBytes(1024) }),
      );
    }
    expect(await store.abortUnfinishedUploads('releases/a.tar.gz')).toBe(2);
    const left = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect((left.Uploads ?? []).map((upload) => upload.Key)).toEqual(['releases/b.tar.gz']);
  });
});
