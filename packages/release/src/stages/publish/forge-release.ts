/**
 * The publish stage's second half, the forge release: a draft, its assets (an asset already there with the same
 * digest is kept, one with another digest is refused), a check of the whole list, and only then publishing — the
 * moment the tag comes to exist. A release a person published is added to only when a trigger named it (`adopt`).
 */
import { createHash } from 'node:crypto';
import { checksumFileNames, verifyFile } from '@relforge/checksum';
import { parseRepo, type Forge, type ForgeAsset, type ForgeRelease, type RepoRef } from '@relforge/forge';
import {
  allowedSignersFile,
  allowedSignersLine,
  provenanceFileName,
  publicKeyPemFile,
  ReleasePublicKey,
  signatureFileName,
  signatureNamespace,
} from '@relforge/signing';
import { isTarball, ReleaseFailureType, type DigestedArtifact, type ReleaseKeyFacts } from '../../shared.js';
import type { ArtifactDigest, PlanInput } from '../inputs.js';
import { publishInputs, type DraftInput, type PublishInput } from './inputs.js';
import { PermanentError } from '../../activities/failures.js';
import { withHeartbeat } from '../../activities/heartbeat.js';
import { artifactPath, forgeFor, publicUrl, type ReleaseServices } from '../../activities/services.js';
import { fetchStaged } from '../../activities/staging.js';
import { localFiles, contentType, conflict } from './upload.js';

async function assetDigest(forge: Forge, repo: RepoRef, asset: ForgeAsset): Promise<string> {
  if (asset.sha256) return asset.sha256;
  return createHash('sha256')
    .update(await forge.downloadAsset(repo, asset.id))
    .digest('hex');
}

export async function checkAsset(
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
    ...(draft.releaseKey ? signingNotes(draft, draft.releaseKey) : []),
  ].join('\n');
}

/** How a downloader checks the release: the key that signed it, and the commands that verify with it offline. */
function signingNotes(draft: DraftInput, releaseKey: ReleaseKeyFacts): string[] {
  const key = ReleasePublicKey.parse(releaseKey.publicKey, 'the release key');
  const sums = checksumFileNames(draft.project, draft.version.text).sha256;
  const provenance = provenanceFileName(draft.project, draft.version.text);
  const tarball = draft.artifacts.find(isTarball)?.file ?? '<file>';
  return [
    `Signed with the release key \`${key.fingerprint}\` (ed25519). Its \`${allowedSignersFile}\` line:`,
    '',
    '```',
    allowedSignersLine(draft.project, key),
    '```',
    '',
    'Verify the checksums, then a file, then its provenance:',
    '',
    '```sh',
    `ssh-keygen -Y verify -f ${allowedSignersFile} -I ${draft.project} -n ${signatureNamespace} -s ${signatureFileName(sums)} < ${sums}`,
    `sha256sum --ignore-missing -c ${sums}`,
    `cosign verify-blob-attestation --key ${publicKeyPemFile} --insecure-ignore-tlog --type slsaprovenance1 --signature ${provenance} ${tarball}`,
    '```',
    '',
    `\`${publicKeyPemFile}\`:`,
    '',
    '```',
    key.pem.trim(),
    '```',
    '',
  ];
}

export async function stageForgeRelease(
  services: ReleaseServices,
  input: DraftInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{ releaseId: number; url: string; uploaded: number; unchanged: number }> {
  const draft = 'plan' in input ? publishInputs.stageForgeRelease(input.plan, input.artifacts) : input;
  const { artifacts } = draft;
  const files = localFiles(services, draft, draft.staging);
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
      const path = artifactPath(files.workDir, artifact.file);
      if (files.staging) await fetchStaged(files.staging, artifact.file, path, heartbeat, artifact);
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
  } = 'plan' in input ? publishInputs.publishForgeRelease(input.plan, input.releaseId) : input;
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
    // A prerelease never becomes the latest release: the stable one people download stays it.
    const published = await forge.publishRelease(repo, releaseId, release.prerelease ? { latest: false } : {});
    return { url: published.htmlUrl, tag: published.tagName, alreadyPublished: false };
  });
}
