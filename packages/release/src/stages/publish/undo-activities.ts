/**
 * The publish stage's undo steps: the draft forge release deleted, and the release's S3 objects removed, each only
 * while the release was never published; once public, each is kept and named. Each looks before it acts, by the same
 * stable key the publish step used (tag, object key), so a step run again after its worker died does nothing twice.
 */
import { parseRepo } from '@relforge/forge';
import { publicReadStatement } from '@relforge/object-store';
import type { WithdrawReleaseInput, WithdrawUploadsInput, Withdrawn } from '../../rollback-inputs.js';
import type { ForgeReleaseInput } from '../inputs.js';
import { withHeartbeat } from '../../activities/heartbeat.js';
import { forgeFor, storeFor, type ReleaseServices } from '../../activities/services.js';
import { goneAlready, nothing } from '../../activities/withdrawn.js';

/** The forge release for the tag, as the publish stage finds it: the published one, or else the oldest draft. */
async function forgeReleaseOf(services: ReleaseServices, input: ForgeReleaseInput) {
  const forge = forgeFor(input.forge, services);
  const repo = parseRepo(input.repository);
  return { forge, repo, release: await forge.findRelease(repo, input.tag) };
}

/** A draft release is deleted with its assets; a published one is public and stays. */
export async function withdrawForgeRelease(services: ReleaseServices, input: WithdrawReleaseInput): Promise<Withdrawn> {
  return withHeartbeat(async () => {
    const done = nothing();
    const { forge, repo, release } = await forgeReleaseOf(services, input);
    const name = (url: string) => `release ${input.tag} of ${input.repository} (${url})`;
    if (!release) {
      if (input.releaseId !== undefined)
        done.removed.push(goneAlready(`draft release ${input.tag} of ${input.repository}`));
      return done;
    }
    if (!release.draft) {
      done.kept.push({
        what: name(release.htmlUrl),
        why: 'published: anyone can see it and download its assets, and its tag exists',
      });
      return done;
    }
    const assets = await forge.listAssets(repo, release.id);
    // Deleting a release deletes its assets with it.
    await forge.deleteRelease(repo, release.id);
    done.removed.push({
      what: `draft ${name(release.htmlUrl)} with ${assets.length} asset${assets.length === 1 ? '' : 's'}`,
    });
    return done;
  });
}

/**
 * The release's objects under the public prefix are removed while no published release points people at them; once
 * the forge release is published they are public and stay. An object with another digest is not this release's.
 */
export async function withdrawUploads(services: ReleaseServices, input: WithdrawUploadsInput): Promise<Withdrawn> {
  return withHeartbeat(async (heartbeat) => {
    const done = nothing();
    const store = storeFor(input.s3, services);
    const { release } = await forgeReleaseOf(services, input.release);
    const where = (key: string) => `s3://${store.bucket}/${key}`;
    const published = release && !release.draft;
    for (const artifact of input.artifacts) {
      const key = `${input.s3.prefix}${artifact.file}`;
      // Parts of an upload cut short by a dead worker are never public: they go in every case.
      await store.abortUnfinishedUploads(key);
      const info = await store.head(key);
      if (!info) {
        if (input.uploaded.includes(artifact.file)) done.removed.push(goneAlready(where(key)));
        continue;
      }
      if (published) {
        done.kept.push({ what: where(key), why: `release ${input.release.tag} is published and links to it` });
      } else if (info.metadata['sha256'] !== artifact.sha256) {
        done.kept.push({
          what: where(key),
          why: `not this release's file: it holds sha256 ${info.metadata['sha256'] ?? 'unknown'}, this release's is ${artifact.sha256}`,
        });
      } else {
        await store.delete(key);
        heartbeat.progress({ removed: key });
        done.removed.push({ what: where(key) });
      }
    }
    if (input.s3.publicRead !== false) {
      const statement = publicReadStatement(input.s3.bucket, input.s3.prefix);
      done.kept.push({
        what: `the statement ${statement.Sid ?? ''} of bucket ${store.bucket}'s policy`,
        why: `it lets anyone read every release under ${input.s3.prefix}, not only this one`,
      });
    }
    return done;
  });
}
