/**
 * The local S3-compatible server: versitygw over a plain folder (its posix
 * backend). Credentials go through the environment, not argv, so they never
 * show up in `ps`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { assertPortFree, serverBinary, startServer, type ServerProcess } from '@relforge/server-process';

export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StartS3Options {
  port: number;
  dataDir: string;
  logFile: string;
  accessKeyId: string;
  secretAccessKey: string;
  detached?: boolean;
  host?: string;
  /** Keeps accounts besides root in this folder (versitygw's internal IAM), for tests of what a lesser key may not do. */
  iamDir?: string;
}

export function s3Client(endpoint: S3Endpoint): S3Client {
  return new S3Client({
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    forcePathStyle: true,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
    // A local server that is still starting refuses connections; the caller polls.
    maxAttempts: 1,
  });
}

export async function startS3Server(
  options: StartS3Options,
): Promise<{ process: ServerProcess; endpoint: S3Endpoint }> {
  const host = options.host ?? '127.0.0.1';
  await assertPortFree(options.port, { service: 'S3 server', override: '--s3-port or RELFORGE_S3_PORT' }, host);
  const bucketsDir = join(options.dataDir, 'buckets');
  mkdirSync(bucketsDir, { recursive: true });
  if (options.iamDir) mkdirSync(options.iamDir, { recursive: true });
  const endpoint: S3Endpoint = {
    endpoint: `http://${host}:${options.port}`,
    region: 'us-east-1',
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
  };
  const client = s3Client(endpoint);
  const command = serverBinary('versitygw');
  try {
    const server = await startServer({
      name: 'S3 server (versitygw)',
      command,
      args: [
        '--port',
        `${host}:${options.port}`,
        '--region',
        endpoint.region,
        ...(options.iamDir ? ['--iam-dir', options.iamDir] : []),
        'posix',
        bucketsDir,
      ],
      env: { ROOT_ACCESS_KEY_ID: options.accessKeyId, ROOT_SECRET_ACCESS_KEY: options.secretAccessKey },
      logFile: options.logFile,
      detached: options.detached ?? false,
      ready: async () => {
        await client.send(new ListBucketsCommand({}));
        return true;
      },
      readyTimeoutMs: 30_000,
      fix: `check ${options.logFile}; rebuild with \`bash infra/s3/install.sh\` if the binary is broken`,
    });
    return { process: server, endpoint };
  } finally {
    client.destroy();
  }
}

/** Creates the bucket unless it exists; safe to call on every start. */
export async function ensureBucket(endpoint: S3Endpoint, bucket: string): Promise<void> {
  const client = s3Client(endpoint);
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    }
  } finally {
    client.destroy();
  }
}
