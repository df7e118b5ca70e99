/**
 * Object storage for release artifacts, behind the small interface the release
 * activities use. One implementation: S3 (or anything speaking its API), with
 * multipart uploads through @aws-sdk/lib-storage and SHA-256 checksums that the
 * server verifies on arrival.
 */
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
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
  /** Base64 SHA-256 as S3 reports it, when the object was stored with one. */
  checksumSha256?: string;
}

export interface UploadOptions {
  contentType?: string;
  /** Bytes per part; S3 needs at least 5 MiB for every part but the last. */
  partSize?: number;
  onProgress?: (uploadedBytes: number) => void;
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

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.client = options.client instanceof S3Client ? options.client : new S3Client(options.client);
  }

  async upload(key: string, body: Readable | Buffer, options: UploadOptions = {}): Promise<ObjectInfo> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType ?? 'application/octet-stream',
        ChecksumAlgorithm: 'SHA256',
      },
      partSize: options.partSize ?? 8 * MiB,
      queueSize: 4,
      // A failed upload must not leave parts behind that nobody will complete.
      leavePartsOnError: false,
    });
    if (options.onProgress) {
      const report = options.onProgress;
      upload.on('httpUploadProgress', (progress) => report(progress.loaded ?? 0));
    }
    await upload.done();
    const info = await this.head(key);
    if (!info) throw new Error(`s3://${this.bucket}/${key} is missing right after its upload completed`);
    return info;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }));
      return {
        key,
        size: head.ContentLength ?? 0,
        etag: head.ETag ?? '',
        ...(head.ChecksumSHA256 ? { checksumSha256: head.ChecksumSHA256 } : {}),
      };
    } catch (error) {
      if (error instanceof NotFound || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
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
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key) yield { key: object.Key, size: object.Size ?? 0, etag: object.ETag ?? '' };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
