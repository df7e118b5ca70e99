/**
 * The publish stage's first half, S3: the bucket policy lets anyone read the release prefix; each file is created
 * only if absent, with its SHA-256 sent along and checked on arrival, then verified; and one of them is downloaded
 * without credentials from its public URL, as people will.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { verifyFile } from '@relforge/checksum';
import type { ProjectConfig } from '@relforge/config';
import {
  ObjectExistsError,
  PolicyRefusedError,
  publicReadStatement,
  type ObjectInfo,
  type S3ObjectStore,
} from '@relforge/object-store';
import { ReleaseFailureType, type DigestedArtifact } from '../../shared.js';
import type { ArtifactDigest, PlanInput } from '../inputs.js';
import { publishInputs, type UploadInput } from './inputs.js';
import { PermanentError } from '../../activities/failures.js';
import { withHeartbeat, type Heartbeat } from '../../activities/heartbeat.js';
import { artifactPath, publicUrl, releaseDir, storeFor, type ReleaseServices } from '../../activities/services.js';
import { fetchStaged, stagingFor, type Staging } from '../../activities/staging.js';

export interface UploadedObject {
  file: string;
  key: string;
  url: string;
  status: 'uploaded' | 'unchanged';
}

/** Where this worker keeps the release's files, and where it fetches those another worker made. */
export interface LocalFiles {
  workDir: string;
  staging: Staging | undefined;
}

export function localFiles(
  services: ReleaseServices,
  release: { workDir: string; project?: string; version?: { text: string } },
  staging: ProjectConfig['publish']['s3'] | undefined,
): LocalFiles {
  return { workDir: releaseDir(services, release), staging: stagingFor(staging, release, services) };
}

export function contentType(file: string): string {
  if (file.endsWith('.tar.gz')) return 'application/gzip';
  // A DSSE envelope, one JSON line: the `.intoto.jsonl` of the provenance and the publish attestation.
  if (file.endsWith('.jsonl')) return 'application/json';
  return 'text/plain; charset=utf-8';
}

export function conflict(where: string, artifact: ArtifactDigest, found: string): PermanentError {
  return new PermanentError(
    ReleaseFailureType.DigestConflict,
    `${where} already holds a different ${artifact.file} (${found}); this release's is sha256 ${artifact.sha256}, ${artifact.size} bytes`,
    {
      fix: `published files are never overwritten: if ${where} is wrong, delete it by hand and resume; if it is right, the build is not reproducible — release a new version`,
    },
  );
}

/** What S3 holds must be this artifact: same size and the SHA-256 we recorded when we stored it. */
export async function matches(
  store: S3ObjectStore,
  key: string,
  info: ObjectInfo,
  artifact: ArtifactDigest,
): Promise<boolean> {
  if (info.size !== artifact.size || info.metadata['sha256'] !== artifact.sha256) return false;
  const whole = Buffer.from(artifact.sha256, 'hex').toString('base64');
  if (info.checksumSha256 === whole) return true;
  // Multipart objects carry a checksum of part checksums only: read the bytes back to be sure.
  const hash = createHash('sha256');
  for await (const chunk of await store.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex') === artifact.sha256;
}

export async function uploadOne(
  store: S3ObjectStore,
  upload: UploadInput,
  files: LocalFiles,
  artifact: ArtifactDigest,
  heartbeat: Heartbeat,
): Promise<UploadedObject> {
  const key = `${upload.s3.prefix}${artifact.file}`;
  const path = artifactPath(files.workDir, artifact.file);
  const where = `s3://${store.bucket}/${key}`;
  const result = (status: UploadedObject['status']): UploadedObject => ({
    file: artifact.file,
    key,
    url: publicUrl(upload.s3.publicBaseUrl, artifact.file),
    status,
  });
  const check = async (info: ObjectInfo) => {
    if (!(await matches(store, key, info, artifact)))
      throw conflict(where, artifact, `sha256 ${info.metadata['sha256'] ?? 'unknown'}, ${info.size} bytes`);
  };
  const existing = await store.head(key);
  if (existing) {
    await check(existing);
    return result('unchanged');
  }
  if (files.staging) await fetchStaged(files.staging, artifact.file, path, heartbeat, artifact);
  await verifyFile(path, { sha256: artifact.sha256, size: artifact.size });
  // An attempt on a worker that died mid-upload left its parts behind: abort them before starting afresh.
  await store.abortUnfinishedUploads(key);
  try {
    const info = await store.upload(key, createReadStream(path), {
      size: artifact.size,
      sha256: artifact.sha256,
      metadata: { sha256: artifact.sha256 },
      contentType: contentType(artifact.file),
      ifAbsent: true,
      onProgress: (bytes) => heartbeat.progress({ file: artifact.file, bytes }),
    });
    await check(info);
  } catch (error) {
    // Stored meanwhile, by an earlier attempt whose completion we never heard of: fine if it is the same file.
    if (!(error instanceof ObjectExistsError)) throw error;
    const info = await store.head(key);
    if (!info) throw error;
    await check(info);
    return result('unchanged');
  }
  return result('uploaded');
}

type S3Settings = UploadInput['s3'];

/** Whether Relforge keeps the release prefix public-read itself. */
function managesPolicy(s3: S3Settings): boolean {
  // Inputs recorded before `publicRead` existed lack it: its default, true, holds for them too.
  return s3.publicRead !== false;
}

const resumeHint = 'then resume the release (with --reload-config if you changed the config)';

function policyRefused(error: PolicyRefusedError, s3: S3Settings): PermanentError {
  const grant = `anyone read s3://${s3.bucket}/${s3.prefix}*`;
  const message = `bucket ${s3.bucket} refused the policy statement that lets ${grant}: ${error.message}`;
  const otherwise = `if the files are served another way (a CDN with its own access to the bucket), set publish.s3.publicRead: false instead; ${resumeHint}`;
  const fix =
    error.code === 'AccessDenied'
      ? `give the key s3:GetBucketPolicy and s3:PutBucketPolicy on bucket ${s3.bucket}, and allow public bucket policies there (AWS refuses them with AccessDenied while Block Public Access's BlockPublicPolicy is on); ${otherwise}`
      : error.code === 'MalformedPolicy'
        ? `the bucket's policy with Relforge's statement added is not valid on this server: read it (aws s3api get-bucket-policy --bucket ${s3.bucket}) and correct its other statements, or add ${JSON.stringify(publicReadStatement(s3.bucket, s3.prefix))} by hand and set publish.s3.publicRead: false; ${resumeHint}`
        : `this server does not take bucket policies: make ${s3.publicBaseUrl} public the server's own way (a public bucket setting, a custom domain), then set publish.s3.publicRead: false; ${resumeHint}`;
  return new PermanentError(ReleaseFailureType.NotDownloadable, message, { fix, cause: error });
}

/** Makes the release prefix readable by anyone, unless the config leaves that to whoever serves publicBaseUrl. */
async function allowDownloads(store: S3ObjectStore, s3: S3Settings): Promise<'added' | 'unchanged' | 'not managed'> {
  if (!managesPolicy(s3)) return 'not managed';
  try {
    return (await store.allowPublicRead(s3.prefix)).changed ? 'added' : 'unchanged';
  } catch (error) {
    throw error instanceof PolicyRefusedError ? policyRefused(error, s3) : error;
  }
}

/**
 * Downloads the smallest published file from its public URL without credentials and checks its digest, so that a
 * release never goes on to write links that answer 403, 404 or other bytes. One file stands for all: they share the
 * prefix, the policy and publicBaseUrl.
 */
async function checkPublicDownload(upload: UploadInput, objects: UploadedObject[]): Promise<void> {
  const artifact = upload.artifacts.reduce<ArtifactDigest | undefined>(
    (smallest, each) => (smallest && smallest.size <= each.size ? smallest : each),
    undefined,
  );
  const url = objects.find((object) => object.file === artifact?.file)?.url;
  if (!artifact || !url) return;
  const { s3 } = upload;
  const where = `s3://${s3.bucket}/${s3.prefix}${artifact.file}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) }).catch((error: unknown) => {
    // No answer at all (DNS, a refused connection, the timeout) may pass: the activity's retry asks again.
    throw new Error(`${url} could not be fetched without credentials: ${(error as Error).cause ?? error}`);
  });
  if (!response.ok) await response.body?.cancel();
  const refused = (message: string, fix: string) =>
    new PermanentError(ReleaseFailureType.NotDownloadable, `${url}, where people download ${where}, ${message}`, {
      fix: `${fix}; ${resumeHint}`,
    });
  const servedBy = managesPolicy(s3)
    ? `Relforge's statement ${publicReadStatement(s3.bucket, s3.prefix).Sid} in the bucket policy lets anyone read it, so either another statement denies it or publish.s3.publicBaseUrl is not where s3://${s3.bucket}/${s3.prefix} is served`
    : `publish.s3.publicRead is false, so Relforge leaves the bucket policy alone and the links work only if whoever serves publish.s3.publicBaseUrl (a CDN, a policy set by hand) lets anyone read s3://${s3.bucket}/${s3.prefix}*; grant that there, or set publicRead: true`;
  if (response.status === 401 || response.status === 403)
    throw refused(`answers ${response.status} to a request without credentials`, servedBy);
  if (response.status === 404)
    throw refused(
      'answers 404',
      `publish.s3.publicBaseUrl must be where s3://${s3.bucket}/${s3.prefix} is served, e.g. "<endpoint>/${s3.bucket}/${s3.prefix.replace(/\/$/, '')}" for path-style addresses`,
    );
  // Anything else (a 5xx, a 429) may pass as well.
  if (!response.ok || !response.body) throw new Error(`${url} answered ${response.status} to an anonymous GET`);
  const hash = createHash('sha256');
  for await (const chunk of response.body) hash.update(chunk);
  const digest = hash.digest('hex');
  if (digest !== artifact.sha256)
    throw refused(
      `serves other bytes (sha256 ${digest}) than the release's ${artifact.file} (sha256 ${artifact.sha256})`,
      `publish.s3.publicBaseUrl must be where s3://${s3.bucket}/${s3.prefix} is served, with nothing in between that keeps an older copy`,
    );
}

export async function uploadArtifacts(
  services: ReleaseServices,
  input: UploadInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{
  objects: UploadedObject[];
  uploaded: number;
  unchanged: number;
  bucketPolicy: 'added' | 'unchanged' | 'not managed';
}> {
  const upload = 'plan' in input ? publishInputs.uploadArtifacts(input.plan, input.artifacts) : input;
  if (upload.signed && !upload.artifacts.some((artifact) => artifact.kind === 'signature')) {
    throw new PermanentError(
      ReleaseFailureType.ReleaseKeyError,
      'the config signs this release, but its checksum stage made no signatures (it ran before signing was configured); nothing was published',
      {
        fix: 'abort this release and start it again, so its checksum stage signs; or remove signing from the config and resume with --reload-config',
      },
    );
  }
  const store = storeFor(upload.s3, services);
  const files = localFiles(services, upload, upload.s3);
  return withHeartbeat(async (heartbeat) => {
    // Before the bytes: a bucket that refuses the policy is found out without uploading gigabytes first.
    const bucketPolicy = await allowDownloads(store, upload.s3);
    const objects: UploadedObject[] = [];
    for (const artifact of upload.artifacts) objects.push(await uploadOne(store, upload, files, artifact, heartbeat));
    await checkPublicDownload(upload, objects);
    return {
      objects,
      uploaded: objects.filter((object) => object.status === 'uploaded').length,
      unchanged: objects.filter((object) => object.status === 'unchanged').length,
      bucketPolicy,
    };
  });
}
