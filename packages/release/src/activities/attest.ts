/**
 * The publish attestation, after the last stage: for every file of the release, each place it was published — the
 * S3 object (URL, ETag), the release asset, the checksum repository's commit, the container pull request — with the
 * sha256 this step read back from that place, in an in-toto statement signed with the release key. It is uploaded
 * to S3 and added to the published release like the other files, create-only.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Context } from '@temporalio/activity';
import { digestFile } from '@relforge/checksum';
import { parseRepo, type Forge, type ForgeRelease, type RepoRef } from '@relforge/forge';
import type { GitRemote } from '@relforge/git';
import { mergeHashes, websiteReleasePath } from '@relforge/release-files';
import {
  EnvelopeError,
  publishAttestationFileName,
  publishPredicateType,
  publishStatement,
  signStatement,
  verifyStatement,
  type Placement,
  type PublishPredicate,
} from '@relforge/signing';
import { ReleaseFailureType, isTarball } from '../shared.js';
import type { ArtifactDigest, AttestInput } from '../stages/inputs.js';
import { pathInCheckout } from './checkout-paths.js';
import { PermanentError } from './failures.js';
import { withHeartbeat, type Heartbeat } from './heartbeat.js';
import { checkAsset, conflict, contentType, matches, uploadOne } from '../stages/publish/activities.js';
import { signingKeyFor, trustedKeys } from './release-key.js';
import { containerFiles } from '../stages/container-repo/activities.js';
import {
  artifactPath,
  artifactsDir,
  forgeFor,
  publicUrl,
  releaseDir,
  remoteFor,
  storeFor,
  type ReleaseServices,
} from './services.js';

export interface Attested {
  file: string;
  size: number;
  sha256: string;
  sha512: string;
  url: string;
  /** Whether this run made it, or kept the one an earlier run of the release published. */
  status: 'attested' | 'unchanged';
}

export async function attestPublication(services: ReleaseServices, input: AttestInput): Promise<Attested> {
  const key = signingKeyFor(input.signing, services);
  // This worker's folder for the release: the attestation is made, uploaded and added here, needing no other file.
  const workDir = releaseDir(services, input);
  await mkdir(artifactsDir(workDir), { recursive: true });
  return withHeartbeat(async (heartbeat) => {
    const forge = forgeFor(input.forge, services, (reason, seconds) =>
      heartbeat.progress({ waiting: reason, seconds }),
    );
    const repo = parseRepo(input.release.repository);
    const release = await forge.findRelease(repo, input.release.tag);
    if (!release || release.draft) {
      throw new PermanentError(
        ReleaseFailureType.MissingArtifact,
        `release ${input.release.tag} of ${input.release.repository} is not published, so where its files are cannot be attested`,
        { fix: 'look at the releases of that repository; the publish stage publishes it: resume the release' },
      );
    }
    const placements = new Map<string, Placement[]>(input.artifacts.map((artifact) => [artifact.file, []]));
    const place = (file: string, placement: Placement) => placements.get(file)?.push(placement);
    for (const placement of await inS3(services, input)) place(placement.file, placement.placement);
    heartbeat.progress({ checked: 's3' });
    for (const placement of await inRelease(forge, repo, release, input)) place(placement.file, placement.placement);
    const pullRequests: PublishPredicate['pullRequests'] = [];
    const scratch = await mkdtemp(join(workDir, 'attest-'));
    try {
      for (const placement of await inRepositories(services, forge, input, scratch, pullRequests)) {
        place(placement.file, placement.placement);
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    const { info } = Context.current();
    const execution = info.workflowExecution;
    const predicate: PublishPredicate = {
      project: input.project,
      version: input.version.text,
      invocationId: execution ? `${execution.workflowId}/${execution.runId}` : info.activityId,
      attestedOn: new Date().toISOString(),
      files: input.artifacts.map((artifact) => ({
        name: artifact.file,
        sha256: artifact.sha256,
        placements: placements.get(artifact.file) ?? [],
      })),
      pullRequests,
    };
    const file = publishAttestationFileName(input.project, input.version.text);
    const path = artifactPath(workDir, file);
    const status = await writeAttestation(services, input, path, predicate, key);
    const digest = await digestFile(path);
    const attestation: ArtifactDigest = { file, size: digest.size, sha256: digest.sha256, kind: 'attestation' };
    const upload = { workDir, s3: input.s3, artifacts: [attestation] };
    await uploadOne(storeFor(input.s3, services), upload, { workDir, staging: undefined }, attestation, heartbeat);
    await addToRelease(forge, repo, release, path, attestation, heartbeat);
    return {
      file,
      size: digest.size,
      sha256: digest.sha256,
      sha512: digest.sha512,
      url: publicUrl(input.s3.publicBaseUrl, file),
      status,
    };
  });
}

interface Found {
  file: string;
  placement: Placement;
}

/** Each file's S3 object, read back: its size and sha256 as recorded when stored, and its ETag. */
async function inS3(services: ReleaseServices, input: AttestInput): Promise<Found[]> {
  const store = storeFor(input.s3, services);
  const found: Found[] = [];
  for (const artifact of input.artifacts) {
    const key = `${input.s3.prefix}${artifact.file}`;
    const info = await store.head(key);
    const where = `s3://${store.bucket}/${key}`;
    if (!info || !(await matches(store, key, info, artifact))) {
      throw conflict(
        where,
        artifact,
        info ? `sha256 ${info.metadata['sha256'] ?? 'unknown'}, ${info.size} bytes` : 'no such object',
      );
    }
    found.push({
      file: artifact.file,
      placement: {
        type: 's3',
        uri: where,
        url: publicUrl(input.s3.publicBaseUrl, artifact.file),
        etag: info.etag,
        sha256: artifact.sha256,
      },
    });
  }
  return found;
}

/** Each file's asset of the published release, with the digest the forge reports for it (or of its bytes). */
async function inRelease(forge: Forge, repo: RepoRef, release: ForgeRelease, input: AttestInput): Promise<Found[]> {
  const assets = new Map((await forge.listAssets(repo, release.id)).map((asset) => [asset.name, asset]));
  const found: Found[] = [];
  for (const artifact of input.artifacts) {
    const asset = assets.get(artifact.file);
    if (!asset) {
      throw new PermanentError(
        ReleaseFailureType.MissingArtifact,
        `release ${release.tagName} of ${input.release.repository} has no asset ${artifact.file}`,
        {
          fix: `an asset was deleted by hand: upload ${publicUrl(input.s3.publicBaseUrl, artifact.file)} to the release again under the same name, then resume`,
        },
      );
    }
    await checkAsset(forge, repo, release, asset, artifact);
    found.push({
      file: artifact.file,
      placement: {
        type: 'release-asset',
        repository: input.release.repository,
        tag: release.tagName,
        releaseId: release.id,
        assetId: asset.id,
        url: asset.downloadUrl,
        sha256: artifact.sha256,
      },
    });
  }
  return found;
}

/** The repositories' commits, checked out and read: the hash lines, the Dockerfiles, the release page. */
async function inRepositories(
  services: ReleaseServices,
  forge: Forge,
  input: AttestInput,
  scratch: string,
  pullRequests: PublishPredicate['pullRequests'],
): Promise<Found[]> {
  const found: Found[] = [];
  const tarballs = input.artifacts.filter(isTarball);
  const checkout = async (repository: string, ref: string, name: string): Promise<{ dir: string; commit: string }> => {
    const remote: GitRemote = await remoteFor(forge, repository);
    const dir = join(scratch, name);
    await services.git.checkoutCommit(remote, dir, ref);
    return { dir, commit: await services.git.headCommit(dir) };
  };
  const missing = (where: string, what: string) =>
    new PermanentError(ReleaseFailureType.DigestConflict, `${where} does not hold ${what} any more`, {
      fix: `look at ${where}: someone changed it after Relforge wrote it; put it back, or resume to write it again`,
    });

  if (input.checksumRepo) {
    const { settings, commit: recorded } = input.checksumRepo;
    const { dir, commit } = await checkout(settings.repository, recorded, 'checksum-repo');
    const path = await pathInCheckout(dir, {
      repository: settings.repository,
      branch: commit,
      field: 'checksumRepo.file',
      path: settings.file,
      use: 'read',
    });
    const text = existsSync(path) ? await readFile(path, 'utf8') : '';
    const merged = mergeHashes(
      text,
      tarballs.map((artifact) => ({
        file: artifact.file,
        sha256: artifact.sha256,
        url: publicUrl(input.s3.publicBaseUrl, artifact.file),
      })),
    );
    const where = `${settings.repository}:${settings.file} at ${commit}`;
    const [first] = [...merged.conflicts.map((entry) => entry.file), ...merged.added];
    if (first) throw missing(where, `the hash line of ${first}`);
    for (const artifact of tarballs) {
      found.push({
        file: artifact.file,
        placement: {
          type: 'checksum-repo',
          repository: settings.repository,
          branch: settings.branch,
          commit,
          path: settings.file,
          sha256: artifact.sha256,
        },
      });
    }
  }

  if (input.containerRepo) {
    const { settings, pull, sourceTarball } = input.containerRepo;
    const { dir, commit } = await checkout(settings.repository, pull.branch, 'container-repo');
    const files = containerFiles(
      { artifacts: tarballs, version: input.version, project: input.project, sourceTarball },
      settings,
    );
    const named = [
      { field: 'containerRepo.versionsFile', ...files.versions },
      ...files.dockerfiles.map((file) => ({ field: `containerRepo.templates[${file.index}].output`, ...file })),
    ];
    for (const { field, path, artifact } of named) {
      const real = await pathInCheckout(dir, {
        repository: settings.repository,
        branch: pull.branch,
        field,
        path,
        use: 'read',
      });
      const text = existsSync(real) ? await readFile(real, 'utf8') : '';
      if (!text.includes(artifact.sha256))
        throw missing(`${settings.repository}:${path} on ${pull.branch}`, `the sha256 of ${artifact.file}`);
      found.push({
        file: artifact.file,
        placement: {
          type: 'pull-request',
          repository: settings.repository,
          url: pull.url,
          branch: pull.branch,
          commit,
          path,
          sha256: artifact.sha256,
        },
      });
    }
  }

  if (input.websiteRepo) {
    const { settings, pull } = input.websiteRepo;
    const { dir, commit } = await checkout(settings.repository, pull.branch, 'website-repo');
    const path = websiteReleasePath(settings.path, input.version.text);
    if (!existsSync(join(dir, path)))
      throw missing(`${settings.repository} on ${pull.branch}`, `the release page ${path}`);
    pullRequests.push({ repository: settings.repository, url: pull.url, branch: pull.branch, commit, path });
  }
  return found;
}

/** The storage places of a statement, one line each: what must not differ between two attestations of a release. */
function storagePlaces(predicate: PublishPredicate): string[] {
  return predicate.files
    .flatMap((file) =>
      file.placements.flatMap((placement) => {
        if (placement.type === 's3') return [`${file.name} ${placement.uri} ${placement.etag} ${placement.sha256}`];
        if (placement.type === 'release-asset') return [`${file.name} asset ${placement.assetId} ${placement.sha256}`];
        return [];
      }),
    )
    .sort();
}

/**
 * Writes the signed statement beside the other files. One an earlier run published is kept when it still verifies
 * and names the same files in the same S3 objects and release assets: it is as true as a new one would be, and
 * published files are never replaced. One that names other places is refused for an operator to look at.
 */
async function writeAttestation(
  services: ReleaseServices,
  input: AttestInput,
  path: string,
  predicate: PublishPredicate,
  key: ReturnType<typeof signingKeyFor>,
): Promise<Attested['status']> {
  const file = basename(path);
  const store = storeFor(input.s3, services);
  const objectKey = `${input.s3.prefix}${file}`;
  if (await store.head(objectKey)) {
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(objectKey)) chunks.push(chunk as Buffer);
    const earlier = Buffer.concat(chunks).toString('utf8');
    let holds = false;
    try {
      const { statement } = verifyStatement(earlier, trustedKeys(input.signing), file);
      const old =
        statement.predicateType === publishPredicateType ? (statement.predicate as PublishPredicate) : undefined;
      holds = old !== undefined && JSON.stringify(storagePlaces(old)) === JSON.stringify(storagePlaces(predicate));
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
    }
    if (!holds) {
      throw new PermanentError(
        ReleaseFailureType.DigestConflict,
        `s3://${store.bucket}/${objectKey} already holds a publish attestation that does not verify, or names other S3 objects or release assets than the release has now`,
        {
          fix: `published files are never overwritten: if that attestation is wrong (an asset was uploaded again), delete ${file} from S3 and from the release by hand, then resume`,
        },
      );
    }
    // A retry leaves the file it agrees with alone, as the checksum stage does.
    const local = existsSync(path) ? await readFile(path, 'utf8') : undefined;
    if (local !== earlier) await writeFile(path, earlier);
    return 'unchanged';
  }
  await writeFile(path, signStatement(key, publishStatement(predicate)));
  return 'attested';
}

/** The attestation as an asset of the published release: GitHub accepts assets on a published release. */
async function addToRelease(
  forge: Forge,
  repo: RepoRef,
  release: ForgeRelease,
  path: string,
  attestation: ArtifactDigest,
  heartbeat: Heartbeat,
): Promise<void> {
  const existing = (await forge.listAssets(repo, release.id)).find((asset) => asset.name === attestation.file);
  if (existing) return checkAsset(forge, repo, release, existing, attestation);
  heartbeat.progress({ asset: attestation.file });
  await forge.uploadAsset(repo, release, {
    name: attestation.file,
    filePath: path,
    size: attestation.size,
    contentType: contentType(attestation.file),
  });
  const listed = (await forge.listAssets(repo, release.id)).find((asset) => asset.name === attestation.file);
  if (!listed)
    throw new Error(`${attestation.file} is missing from release ${release.tagName} right after its upload; retrying`);
  await checkAsset(forge, repo, release, listed, attestation);
}
