/**
 * The steps of an abort with rollback: each undoes one effect of the release if it was never public, and keeps and
 * names it if it was. Each looks before it acts, by the same stable key the step that made the effect used (tag,
 * branch, object key), so a step run again after its worker died finds what its first attempt removed already gone
 * and does nothing twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRepo } from '@relforge/forge';
import { publicReadStatement } from '@relforge/object-store';
import type { RollbackItem } from '../shared.js';
import type {
  WithdrawPullInput,
  WithdrawReleaseInput,
  WithdrawStagedInput,
  WithdrawUploadsInput,
  Withdrawn,
} from '../rollback-inputs.js';
import type { ForgeReleaseInput } from '../step-inputs.js';
import { withHeartbeat } from './heartbeat.js';
import { forgeFor, remoteFor, storeFor, type ReleaseServices } from './services.js';

const nothing = (): Withdrawn => ({ removed: [], kept: [] });

/** What the run made and is gone now: an earlier attempt of this step removed it before its worker died, or a person did. */
const goneAlready = (what: string): RollbackItem => ({ what: `${what} (gone already)` });

/** The forge release for the tag, as the publish stage finds it: the published one, or else the oldest draft. */
async function forgeReleaseOf(services: ReleaseServices, input: ForgeReleaseInput) {
  const forge = forgeFor(input.forge, services);
  const repo = parseRepo(input.repository);
  return { forge, repo, release: await forge.findRelease(repo, input.tag) };
}

/**
 * A pull request that was not merged is closed and its branch deleted; a merged one is public (its change is on the
 * base branch) and stays, branch and all. A branch pushed by an attempt that never opened the pull request goes too.
 */
export async function withdrawPullRequest(services: ReleaseServices, input: WithdrawPullInput): Promise<Withdrawn> {
  return withHeartbeat(async () => {
    const done = nothing();
    const forge = forgeFor(input.forge, services);
    const remote = await remoteFor(forge, input.repository);
    const pull = await forge.findPullRequest(remote.repo, input.branch, input.base);
    const pullName = (number: number, url: string) => `pull request #${number} of ${input.repository} (${url})`;
    if (pull?.merged) {
      done.kept.push({
        what: pullName(pull.number, pull.htmlUrl),
        why: `merged into ${input.base}: its change is public`,
      });
      return done;
    }
    if (pull?.state === 'open') {
      await forge.closePullRequest(remote.repo, pull.number);
      done.removed.push({ what: `${pullName(pull.number, pull.htmlUrl)}: closed` });
    }
    if (await services.git.resolveRemoteRef(remote, input.branch)) {
      // git pushes from a repository: an empty one, made here, since the release's folder may be on another machine.
      const dir = await mkdtemp(join(tmpdir(), 'relforge-withdraw-'));
      try {
        await services.git.deleteRemoteBranch(remote, dir, input.branch);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      done.removed.push({ what: `branch ${input.branch} of ${input.repository}` });
    }
    return done;
  });
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

/** The release's folder in the staging prefix: private, read only by the release's own steps, so it always goes. */
export async function withdrawStagedFiles(services: ReleaseServices, input: WithdrawStagedInput): Promise<Withdrawn> {
  return withHeartbeat(async (heartbeat) => {
    const done = nothing();
    const { stagingPrefix } = input.s3;
    if (stagingPrefix === undefined) return done;
    const store = storeFor(input.s3, services);
    const folder = `${stagingPrefix}${input.project}/${input.version}/${input.commit}/`;
    const where = (key: string) => `s3://${store.bucket}/${key}`;
    const found = new Set<string>();
    for await (const object of store.list(folder)) {
      await store.delete(object.key);
      heartbeat.progress({ removed: object.key });
      found.add(object.key);
      done.removed.push({ what: where(object.key) });
    }
    for (const file of input.files) {
      if (!found.has(folder + file)) done.removed.push(goneAlready(where(folder + file)));
    }
    return done;
  });
}
