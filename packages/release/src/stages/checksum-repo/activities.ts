/**
 * The checksum repo stage's step, through real git: the release's hash lines (and the release key, when the config
 * signs) committed to the checksum repository's branch. It merges into what is there and commits only what is missing.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checksumFileNames } from '@relforge/checksum';
import { mergeHashes, HashesConflictError } from '@relforge/release-files';
import { allowedSignersFile, allowedSignersText, publicKeyPemFile, ReleasePublicKey } from '@relforge/signing';
import { isTarball, type DigestedArtifact } from '../../shared.js';
import type { ArtifactDigest, PlanInput } from '../inputs.js';
import { pathInCheckout } from '../../activities/checkout-paths.js';
import { withHeartbeat } from '../../activities/heartbeat.js';
import { keyChange, publishedSigners, signersPlace, type KeyChange } from '../../activities/release-key.js';
import { configured, freshDir } from '../../activities/repository.js';
import { forgeFor, publicUrl, remoteFor, type ReleaseServices } from '../../activities/services.js';
import { checksumRepoInputs, type ChecksumRepoInput } from './inputs.js';

const tarballs = (artifacts: ArtifactDigest[]) => artifacts.filter(isTarball);

export async function updateChecksumRepo(
  services: ReleaseServices,
  input: ChecksumRepoInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{ commit?: string; head?: string; added: number; unchanged: number; key?: KeyChange }> {
  const step = 'plan' in input ? checksumRepoInputs.updateChecksumRepo(input.plan, input.artifacts) : input;
  const settings = configured(step.settings, 'checksum-repo', 'checksumRepo');
  return withHeartbeat(async () => {
    const remote = await remoteFor(forgeFor(step.forge, services), settings.repository);
    const dir = await freshDir(step.workDir, 'checksum-repo');
    await services.git.clone(remote, dir, settings.branch);
    const file = await pathInCheckout(dir, {
      repository: settings.repository,
      branch: settings.branch,
      field: 'checksumRepo.file',
      path: settings.file,
      use: 'read',
    });
    const existing = existsSync(file) ? await readFile(file, 'utf8') : '';
    const merged = mergeHashes(
      existing,
      tarballs(step.artifacts).map((artifact) => ({
        file: artifact.file,
        sha256: artifact.sha256,
        url: publicUrl(step.publicBaseUrl, artifact.file),
      })),
    );
    const [first] = merged.conflicts;
    if (first) throw new HashesConflictError(first.file, first.existing, first.incoming);
    const key = step.signing ? await publishKey(dir, settings, step.project, step.signing) : undefined;
    const result = {
      added: merged.added.length,
      unchanged: merged.unchanged.length,
      ...(key ? { key: key.change } : {}),
    };
    if (merged.added.length === 0 && !key?.written) return { ...result, head: await services.git.headCommit(dir) };
    if (merged.added.length > 0) await writeFile(file, merged.text);
    const rotated = key?.change === 'follows' ? `; the release key is now ${key.fingerprint}` : '';
    const commit = await services.git.commitAll(dir, `Add hashes for ${step.project} ${step.version.text}${rotated}`);
    // A push refused because the branch moved on fails this attempt; the retry clones again and merges anew.
    await services.git.push(remote, dir, `HEAD:refs/heads/${settings.branch}`);
    return { ...result, ...(commit ? { commit, head: commit } : { head: await services.git.headCommit(dir) }) };
  });
}

/**
 * Writes the release key beside the hash file: `allowed_signers` for ssh-keygen and `release-key.pem` for cosign. A
 * key other than the one published there is refused, unless the config says it follows that one.
 */
async function publishKey(
  dir: string,
  settings: NonNullable<ChecksumRepoInput['settings']>,
  project: string,
  signing: NonNullable<ChecksumRepoInput['signing']>,
): Promise<{ change: KeyChange; written: boolean; fingerprint: string }> {
  const key = ReleasePublicKey.parse(signing.publicKey, 'the release key');
  const checkout = { repository: settings.repository, branch: settings.branch, dir, hashFile: settings.file };
  const change = keyChange(await publishedSigners(checkout), key, signing.follows, signersPlace(settings));
  const sums = checksumFileNames(project, '<version>').sha256;
  let written = false;
  for (const [name, text] of [
    [allowedSignersFile, allowedSignersText(project, key, sums)],
    [publicKeyPemFile, key.pem],
  ] as const) {
    const path = await pathInCheckout(dir, {
      repository: settings.repository,
      branch: settings.branch,
      field: 'checksumRepo.file',
      path: join(dirname(settings.file), name),
      use: 'write',
    });
    if (existsSync(path) && (await readFile(path, 'utf8')) === text) continue;
    await writeFile(path, text);
    written = true;
  }
  return { change, written, fingerprint: key.fingerprint };
}
