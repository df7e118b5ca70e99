/**
 * The publish stage. S3 first: each file is created only if absent, with its
 * SHA-256 sent along and checked on arrival, then verified. Then the forge
 * release: a draft, its assets (an asset already there with the same digest is
 * kept, one with another digest is refused), a check of the whole list, and
 * only then publishing — the moment the tag comes to exist. A release a person
 * published is added to only when a trigger named it (`adopt`).
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { verifyFile } from '@relforge/checksum';
import { parseRepo, type Forge, type ForgeAsset, type ForgeRelease, type RepoRef } from '@relforge/forge';
import { ObjectExistsError, type ObjectInfo, type S3ObjectStore } from '@relforge/object-store';
import { isTarball, ReleaseFailureType, type DigestedArtifact } from '../shared.js';
import {
  stepInputs,
  type ArtifactDigest,
  type DraftInput,
  type PlanInput,
  type PublishInput,
  type UploadInput,
} from '../step-inputs.js';
import { PermanentError } from './failures.js';
import { withHeartbeat, type Heartbeat } from './heartbeat.js';
import { artifactPath, forgeFor, publicUrl, storeFor, type ReleaseServices } from './services.js';

export interface UploadedObject {
  file: string;
  key: string;
  url: string;
  status: 'uploaded' | 'unchanged';
}

const contentType = (file: string) => (file.endsWith('.tar.gz') ? 'application/gzip' : 'text/plain; charset=utf-8');

function conflict(where: string, artifact: ArtifactDigest, found: string): PermanentError {
  return new PermanentError(
    ReleaseFailureType.DigestConflict,
    `${where} already holds a different ${artifact.file} (${found}); this release's is sha256 ${artifact.sha256}, ${artifact.size} bytes`,
    {
      fix: `published files are never overwritten: if ${where} is wrong, delete it by hand and resume; if it is right, the build is not reproducible — release a new version`,
    },
  );
}

/** What S3 holds must be this artifact: same size and the SHA-256 we recorded when we stored it. */
async function matches(
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

async function uploadOne(
  store: S3ObjectStore,
  upload: UploadInput,
  artifact: ArtifactDigest,
  heartbeat: Heartbeat,
): Promise<UploadedObject> {
  const key = `${upload.s3.prefix}${artifact.file}`;
  const path = artifactPath(upload.workDir, artifact.file);
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

export async function uploadArtifacts(
  services: ReleaseServices,
  input: UploadInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{ objects: UploadedObject[]; uploaded: number; unchanged: number }> {
  const upload = 'plan' in input ? stepInputs.uploadArtifacts(input.plan, input.artifacts) : input;
  const store = storeFor(upload.s3, services);
  return withHeartbeat(async (heartbeat) => {
    const objects: UploadedObject[] = [];
    for (const artifact of upload.artifacts) objects.push(await uploadOne(store, upload, artifact, heartbeat));
    return {
      objects,
      uploaded: objects.filter((object) => object.status === 'uploaded').length,
      unchanged: objects.filter((object) => object.status === 'unchanged').length,
    };
  });
}

async function assetDigest(forge: Forge, repo: RepoRef, asset: ForgeAsset): Promise<string> {
  if (asset.sha256) return asset.sha256;
  return createHash('sha256')
    .update(await forge.downloadAsset(repo, asset.id))
    .digest('hex');
}

async function checkAsset(
  forge: Forge,
  repo: RepoRef,
  release: ForgeRelease,
  asset: ForgeAsset,
  artifact: ArtifactDigest,
): Promise<void> {
  const digest = await assetDigest(forge, repo, asset);
  if (asset.size !== artifact.size || digest !== artifact.sha256) {
    throw conflict(
      `release ${release.tagName} of ${repo.owner}/${repo.repo}`,
      artifact,
      `sha256 ${digest}, ${asset.size} bytes`,
    );
  }
}

function releaseBody(draft: DraftInput): string {
  const rows = draft.artifacts
    .filter(isTarball)
    .map(
      (artifact) => `| [${artifact.file}](${publicUrl(draft.publicBaseUrl, artifact.file)}) | \`${artifact.sha256}\` |`,
    );
  return [
    `${draft.releaseName}, built from ${draft.commit}.`,
    '',
    '| file | sha256 |',
    '| --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

export async function stageForgeRelease(
  services: ReleaseServices,
  input: DraftInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{ releaseId: number; url: string; uploaded: number; unchanged: number }> {
  const draft = 'plan' in input ? stepInputs.stageForgeRelease(input.plan, input.artifacts) : input;
  const { artifacts } = draft;
  return withHeartbeat(async (heartbeat) => {
    const forge = forgeFor(draft.forge, services, (reason, seconds) =>
      heartbeat.progress({ waiting: reason, seconds }),
    );
    const repo = parseRepo(draft.repository);
    const release =
      (await forge.findRelease(repo, draft.tag)) ??
      (await forge.createDraftRelease(repo, {
        tag: draft.tag,
        name: draft.releaseName,
        targetCommitish: draft.commit,
        body: releaseBody(draft),
        prerelease: draft.version.isPrerelease,
      }));
    let uploaded = 0;
    let unchanged = 0;
    const existing = new Map((await forge.listAssets(repo, release.id)).map((asset) => [asset.name, asset]));
    for (const artifact of artifacts) {
      const asset = existing.get(artifact.file);
      if (asset) {
        await checkAsset(forge, repo, release, asset, artifact);
        unchanged++;
        continue;
      }
      if (!release.draft && draft.adopt?.releaseId !== release.id) {
        throw new PermanentError(
          ReleaseFailureType.DigestConflict,
          `release ${draft.tag} of ${draft.repository} is already published without ${artifact.file}`,
          {
            fix: 'a published release is not changed: check who published it; delete it by hand to let Relforge make it again, then resume',
          },
        );
      }
      const path = artifactPath(draft.workDir, artifact.file);
      await verifyFile(path, { sha256: artifact.sha256, size: artifact.size });
      heartbeat.progress({ asset: artifact.file });
      await forge.uploadAsset(repo, release, {
        name: artifact.file,
        filePath: path,
        size: artifact.size,
        contentType: contentType(artifact.file),
      });
      uploaded++;
    }
    // Read the list back: publishing is only safe once the forge shows every asset with its digest.
    const listed = new Map((await forge.listAssets(repo, release.id)).map((asset) => [asset.name, asset]));
    for (const artifact of artifacts) {
      const asset = listed.get(artifact.file);
      if (!asset)
        throw new Error(`${artifact.file} is missing from release ${draft.tag} right after its upload; retrying`);
      await checkAsset(forge, repo, release, asset, artifact);
    }
    return { releaseId: release.id, url: release.htmlUrl, uploaded, unchanged };
  });
}

export async function publishForgeRelease(
  services: ReleaseServices,
  input: PublishInput | PlanInput<{ releaseId: number }>,
): Promise<{ url: string; tag: string; alreadyPublished: boolean }> {
  const {
    forge: forgeConfig,
    repository,
    tag,
    releaseId,
  } = 'plan' in input ? stepInputs.publishForgeRelease(input.plan, input.releaseId) : input;
  // Two quick calls, but a rate limit can hold either for minutes: beat meanwhile, or the attempt is timed out and run twice.
  return withHeartbeat(async (heartbeat) => {
    const forge = forgeFor(forgeConfig, services, (reason, seconds) =>
      heartbeat.progress({ waiting: reason, seconds }),
    );
    const repo = parseRepo(repository);
    const release = await forge.findRelease(repo, tag);
    if (!release || release.id !== releaseId) {
      throw new PermanentError(
        ReleaseFailureType.DigestConflict,
        `release ${tag} of ${repository} changed since its assets were checked`,
        {
          fix: 'look at the releases of that repository; remove the one Relforge did not make, then resume',
        },
      );
    }
    if (!release.draft) return { url: release.htmlUrl, tag: release.tagName, alreadyPublished: true };
    const published = await forge.publishRelease(repo, releaseId);
    return { url: published.htmlUrl, tag: published.tagName, alreadyPublished: false };
  });
}
