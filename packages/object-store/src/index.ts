/**
 * Object storage for release artifacts, behind the small interface the release
 * activities use. One implementation: S3 (or anything speaking its API), with
 * multipart uploads through @aws-sdk/lib-storage and SHA-256 checksums that the
 * server verifies on arrival; and the bucket policy statement that lets anyone
 * download the objects under one prefix.
 */
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  AbortMultipartUploadCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  NotFound,
  PutBucketPolicyCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  /** Base64 SHA-256 as S3 reports it, when the object was stored with one (multipart: "<base64>-<parts>"). */
  checksumSha256?: string;
  /** User metadata (`x-amz-meta-*`), lower-case keys. */
  metadata: Record<string, string>;
}

export interface UploadOptions {
  contentType?: string;
  /** Bytes per part; S3 needs at least 5 MiB for every part but the last. */
  partSize?: number;
  onProgress?: (uploadedBytes: number) => void;
  metadata?: Record<string, string>;
  /** Size of a streamed body, when known: lets a small stream go up as one part, with a whole-object checksum. */
  size?: number;
  /** Lower-case hex SHA-256 the bytes must have: S3 refuses a single-part upload whose bytes differ. */
  sha256?: string;
  /** Create only: fail with `ObjectExistsError` instead of replacing an object someone stored meanwhile. */
  ifAbsent?: boolean;
}

/** `ifAbsent` upload found the key taken: the caller decides whether what is there is what it meant to store. */
export class ObjectExistsError extends Error {
  constructor(readonly key: string) {
    super(`${key} already exists`);
    this.name = 'ObjectExistsError';
  }
}

/** One statement of a bucket policy; fields Relforge does not read are written back as they came. */
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: unknown;
  [field: string]: unknown;
}

export interface BucketPolicy {
  Version?: string;
  Statement: PolicyStatement[];
  [field: string]: unknown;
}

/**
 * The server would not read or change the bucket's policy: the key may not (AccessDenied), the account blocks
 * public policies (Block Public Access answers AccessDenied too), or the server has no bucket policies at all.
 */
export class PolicyRefusedError extends Error {
  constructor(
    readonly bucket: string,
    readonly operation: 'GetBucketPolicy' | 'PutBucketPolicy',
    /** The S3 error code, e.g. "AccessDenied", "NotImplemented", "MalformedPolicy". */
    readonly code: string,
    detail: string,
  ) {
    super(`${operation} on bucket ${bucket} was refused: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'PolicyRefusedError';
  }
}

export interface ObjectStore {
  upload(key: string, body: Readable | Buffer, options?: UploadOptions): Promise<ObjectInfo>;
  head(key: string): Promise<ObjectInfo | undefined>;
  get(key: string): Promise<Readable>;
  list(prefix?: string): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
}

export interface S3StoreOptions {
  bucket: string;
  client: S3Client | S3ClientConfig;
}

const MiB = 1024 * 1024;

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Policy characters a prefix cannot hold: in a Resource they are wildcards or variables, and would widen the grant. */
export const policyWildcards = /[*?$]/;

/**
 * The statement that lets anyone GET the objects under `prefix`, and nothing more: no listing, no other prefix.
 * Its Sid is derived from the prefix, so each prefix of a shared bucket has its own and a second run finds it.
 */
export function publicReadStatement(bucket: string, prefix: string): PolicyStatement {
  if (policyWildcards.test(prefix))
    throw new Error(`prefix ${JSON.stringify(prefix)} holds "*", "?" or "$", which a bucket policy reads as patterns`);
  const id = createHash('sha256').update(prefix).digest('hex').slice(0, 16);
  return {
    Sid: `RelforgePublicRead${id}`,
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${bucket}/${prefix}*`,
  };
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** `"*"`, `{"AWS": "*"}` and `{"AWS": ["*"]}` all name everyone; servers hand back whichever form they keep. */
function namesEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  const aws = (principal as { AWS?: unknown } | null)?.AWS;
  return aws !== undefined && asList(aws).length === 1 && asList(aws)[0] === '*';
}

/** The same grant as `wanted`, whatever the Sid and whichever of the equivalent spellings the server returns. */
function grantsSame(statement: PolicyStatement, wanted: PolicyStatement): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(asList(a).sort()) === JSON.stringify(asList(b).sort());
  return (
    statement.Effect === wanted.Effect &&
    statement.Condition === undefined &&
    namesEveryone(statement.Principal) &&
    same(statement.Action, wanted.Action) &&
    same(statement.Resource, wanted.Resource)
  );
}

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.client = options.client instanceof S3Client ? options.client : new S3Client(options.client);
  }

  async upload(key: string, body: Readable | Buffer, options: UploadOptions = {}): Promise<ObjectInfo> {
    const partSize = options.partSize ?? 8 * MiB;
    // A whole-object checksum only exists for single-part uploads; multipart ones are checked part by part.
    const size = Buffer.isBuffer(body) ? body.length : options.size;
    const singlePart = size !== undefined && size <= partSize;
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType ?? 'application/octet-stream',
        ChecksumAlgorithm: 'SHA256',
        ...(options.sha256 && singlePart
          ? { ChecksumSHA256: Buffer.from(options.sha256, 'hex').toString('base64') }
          : {}),
        ...(options.metadata ? { Metadata: options.metadata } : {}),
        ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
      },
      partSize,
      queueSize: 4,
      // A failed upload must not leave parts behind that nobody will complete.
      leavePartsOnError: false,
    });
    if (options.onProgress) {
      const report = options.onProgress;
      upload.on('httpUploadProgress', (progress) => report(progress.loaded ?? 0));
    }
    try {
      await upload.done();
    } catch (error) {
      if (options.ifAbsent && statusOf(error) === 412) throw new ObjectExistsError(key);
      throw error;
    }
    const info = await this.head(key);
    if (!info) throw new Error(`s3://${this.bucket}/${key} is missing right after its upload completed`);
    return info;
  }

  /** The bucket's policy, or undefined when it has none. */
  async policy(): Promise<BucketPolicy | undefined> {
    let text: string | undefined;
    try {
      text = (await this.client.send(new GetBucketPolicyCommand({ Bucket: this.bucket }))).Policy;
    } catch (error) {
      if ((error as Error).name === 'NoSuchBucketPolicy') return undefined;
      throw this.refusal('GetBucketPolicy', error);
    }
    if (!text) return undefined;
    const parsed = JSON.parse(text) as Omit<BucketPolicy, 'Statement'> & { Statement?: unknown };
    // The policy language lets a lone statement stand without its list.
    return { ...parsed, Statement: asList(parsed.Statement ?? []) as PolicyStatement[] };
  }

  /**
   * Makes the objects under `prefix` readable by anyone: reads the bucket policy, and adds Relforge's statement for
   * this prefix unless one granting the same is there. Every other statement is kept as it was. Returns whether the
   * policy changed.
   */
  async allowPublicRead(prefix: string): Promise<{ changed: boolean; statement: PolicyStatement }> {
    const wanted = publicReadStatement(this.bucket, prefix);
    const current = await this.policy();
    const statements = current?.Statement ?? [];
    if (statements.some((statement) => grantsSame(statement, wanted))) return { changed: false, statement: wanted };
    // A statement under Relforge's Sid that no longer grants this is Relforge's own, edited: replace it, since a
    // policy must not hold the same Sid twice.
    const policy: BucketPolicy = {
      ...current,
      Version: current?.Version ?? '2012-10-17',
      Statement: [...statements.filter((statement) => statement.Sid !== wanted.Sid), wanted],
    };
    try {
      await this.client.send(new PutBucketPolicyCommand({ Bucket: this.bucket, Policy: JSON.stringify(policy) }));
    } catch (error) {
      throw this.refusal('PutBucketPolicy', error);
    }
    // A policy is replaced whole, without a condition on what it was: read it back in case a concurrent writer's
    // policy replaced ours. Thrown as a plain error, so the activity's retry adds it again.
    const written = await this.policy();
    if (!written?.Statement.some((statement) => grantsSame(statement, wanted)))
      throw new Error(`the policy of bucket ${this.bucket} lost ${wanted.Sid} right after it was written`);
    return { changed: true, statement: wanted };
  }

  /** A refusal only a person can lift becomes a `PolicyRefusedError`; anything else (a 5xx, a lost connection) stays. */
  private refusal(operation: PolicyRefusedError['operation'], error: unknown): unknown {
    const status = statusOf(error);
    const code = (error as Error).name;
    // Other 403s (a wrong key, a bad signature) are about the credentials, not the policy: they stay as they are.
    if (code === 'AccessDenied' || code === 'MalformedPolicy' || status === 405 || status === 501)
      return new PolicyRefusedError(this.bucket, operation, code, (error as Error).message);
    return error;
  }

  /**
   * Aborts multipart uploads of `key` left unfinished — by a worker killed
   * mid-upload, which never got to abort them — so their parts stop taking
   * space; returns how many there were.
   */
  async abortUnfinishedUploads(key: string): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: key,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key !== key || !upload.UploadId) continue;
        await this.client.send(
          new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: upload.UploadId }),
        );
        aborted++;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return aborted;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
      return {
        key,
        size: head.ContentLength ?? 0,
        etag: head.ETag ?? '',
        ...(head.ChecksumSHA256 ? { checksumSha256: head.ChecksumSHA256 } : {}),
        metadata: head.Metadata ?? {},
      };
    } catch (error) {
      if (error instanceof NotFound || statusOf(error) === 404) {
        return undefined;
      }
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return object.Body as Readable;
  }

  /** Removes the object; one already gone is no error (S3 answers 204 either way), so a retried delete is harmless. */
  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) yield { key: object.Key, size: object.Size ?? 0, etag: object.ETag ?? '', metadata: {} };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
