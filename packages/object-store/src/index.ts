/**
 * Object storage for release artifacts, behind the small interface the release
 * activities use. One implementation: S3 (or anything speaking its API), with
 * multipart uploads through @aws-sdk/lib-storage and SHA-256 checksums that the
 * server verifies on arrival.
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  NotFound,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

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

export interface ObjectStore {
  upload(key: string, body: Readable | Buffer, options?: UploadOptions): Promise<ObjectInfo>;
  head(key: string): Promise<ObjectInfo | undefined>;
  get(key: string): Promise<Readable>;
  list(prefix?: string): AsyncIterable<ObjectInfo>;
}

export interface S3StoreOptions {
  bucket: string;
  client: S3Client | S3ClientConfig;
}

const MiB = 1024 * 1024;

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
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
