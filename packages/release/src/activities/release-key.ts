/**
 * The release key on the worker: read from its secret, checked to be an ed25519 key and the one the project
 * published (the checksum repository's allowed_signers) before anything is signed with it. A key change is accepted
 * only when the config says the new key follows the published one.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeSecret, type ProjectConfig, type SecretRef } from '@relforge/config';
import {
  allowedSignersFile,
  parseAllowedSigners,
  ReleaseKey,
  ReleaseKeyError,
  ReleasePublicKey,
} from '@relforge/signing';
import { ReleaseFailureType } from '../shared.js';
import type { SigningInput } from '../stages/inputs.js';
import { pathInCheckout } from './checkout-paths.js';
import { PermanentError } from './failures.js';
import { resolveSecret } from './secrets.js';
import { forgeFor, remoteFor, type ReleaseServices } from './services.js';

const field = 'signing.key';

/** The release key from its secret, or a refusal naming the secret, what is wrong and the fix. */
export function releaseKeyFor(ref: SecretRef, services: ReleaseServices): ReleaseKey {
  const text = resolveSecret(ref, field, services.env);
  try {
    return ReleaseKey.parse(text, `${field} (${describeSecret(ref)})`);
  } catch (error) {
    if (!(error instanceof ReleaseKeyError)) throw error;
    throw new PermanentError(ReleaseFailureType.ReleaseKeyError, error.message, {
      fix: `${error.fix}; then restart the worker and resume the release`,
    });
  }
}

/** The key a step was told of, read again from its secret: it must still be the one prepare checked. */
export function signingKeyFor(signing: SigningInput, services: ReleaseServices): ReleaseKey {
  const key = releaseKeyFor(signing.key, services);
  if (key.publicKey.line !== signing.publicKey) {
    const checked = ReleasePublicKey.parse(signing.publicKey, 'the key prepare checked').fingerprint;
    throw new PermanentError(
      ReleaseFailureType.ReleaseKeyError,
      `${field} (${describeSecret(signing.key)}) is now the key ${key.publicKey.fingerprint}, not ${checked} that this release was checked with when it started`,
      {
        fix: 'give the worker the key the release started with again; to release with the new one, resume with --reload-config, which checks it against the published key',
      },
    );
  }
  return key;
}

/** The current key and the ones it follows: what a signature published by an earlier run may be signed by. */
export function trustedKeys(signing: Pick<SigningInput, 'publicKey' | 'follows'>): ReleasePublicKey[] {
  return [signing.publicKey, ...signing.follows].map((line, index) =>
    ReleasePublicKey.parse(line, index === 0 ? 'the release key' : `signing.follows[${index - 1}]`),
  );
}

export type KeyChange = 'unpublished' | 'published' | 'follows';

/**
 * Whether `key` may be published over what an allowed_signers file holds: it is there already, or there is none,
 * or the config lists a key found there in `signing.follows`. Anything else is a key change nobody asked for.
 */
export function keyChange(
  published: string | undefined,
  key: ReleasePublicKey,
  follows: readonly string[],
  where: string,
): KeyChange {
  if (published === undefined) return 'unpublished';
  let keys: ReleasePublicKey[];
  try {
    keys = parseAllowedSigners(published, where).map((signer) => signer.publicKey);
  } catch (error) {
    if (!(error instanceof ReleaseKeyError)) throw error;
    throw new PermanentError(ReleaseFailureType.ReleaseKeyError, error.message, {
      fix: `fix ${where} by hand (one line: "<project> namespaces=\\"relforge-release\\" ssh-ed25519 AAAA…"), then resume the release`,
    });
  }
  if (keys.length === 0) return 'unpublished';
  if (keys.some((candidate) => candidate.equals(key))) return 'published';
  const followed = follows.map((line, index) => ReleasePublicKey.parse(line, `signing.follows[${index}]`));
  if (keys.some((candidate) => followed.some((old) => old.equals(candidate)))) return 'follows';
  const [first] = keys;
  throw new PermanentError(
    ReleaseFailureType.ReleaseKeyError,
    `${field} is the key ${key.fingerprint}, not the release key ${first?.fingerprint} that ${where} publishes; nothing was signed`,
    {
      fix: `if the project changed its release key on purpose, add the published key to signing.follows ("${first?.line}"), in the worker's config, then start the release again (or resume it with --reload-config); otherwise give the worker the published key`,
    },
  );
}

/** Where the checksum repository publishes the key, for messages: "owner/name:allowed_signers". */
export function signersPlace(checksumRepo: { repository: string; file: string }): string {
  return `${checksumRepo.repository}:${join(dirname(checksumRepo.file), allowedSignersFile)}`;
}

/** The allowed_signers file of a clone of the checksum repository, beside its hash file; undefined when absent. */
export async function publishedSigners(checkout: {
  repository: string;
  branch: string;
  dir: string;
  hashFile: string;
}): Promise<string | undefined> {
  const path = await pathInCheckout(checkout.dir, {
    repository: checkout.repository,
    branch: checkout.branch,
    field: 'checksumRepo.file',
    path: join(dirname(checkout.hashFile), allowedSignersFile),
    use: 'read',
  });
  return existsSync(path) ? readFile(path, 'utf8') : undefined;
}

/**
 * Refuses, before anything is built or signed, a release key that cannot sign or is not the project's: read from its
 * secret, then compared with the checksum repository's allowed_signers when the config has one.
 */
export async function checkReleaseKey(
  config: ProjectConfig,
  services: ReleaseServices,
  workDir: string,
): Promise<ReleasePublicKey | undefined> {
  const { signing, checksumRepo } = config;
  if (!signing) return undefined;
  const key = releaseKeyFor(signing.key, services);
  if (!checksumRepo) return key.publicKey;
  const remote = await remoteFor(forgeFor(config.forge, services), checksumRepo.repository);
  const dir = join(workDir, 'repos', 'published-key');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  // A checksum repository without its branch yet publishes no key: the checksum-repo stage will fail on its own.
  if (!(await services.git.resolveRemoteRef(remote, checksumRepo.branch))) return key.publicKey;
  await services.git.clone(remote, dir, checksumRepo.branch);
  try {
    const checkout = {
      repository: checksumRepo.repository,
      branch: checksumRepo.branch,
      dir,
      hashFile: checksumRepo.file,
    };
    keyChange(await publishedSigners(checkout), key.publicKey, signing.follows, signersPlace(checksumRepo));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return key.publicKey;
}
