/**
 * What the stages that write into other repositories share, through real git: their section of the config, a fresh
 * folder for a checkout, and a change proposed as a pull request (container repo, website) or withdrawn by a rollback.
 * Each looks for its effect first (the pull request, the pushed branch) and only makes what is missing.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Forge, PullRequest } from '@relforge/forge';
import { ForgeError } from '@relforge/forge';
import type { WithdrawPullInput, Withdrawn } from '../rollback-inputs.js';
import { ReleaseFailureType } from '../shared.js';
import type { RepoInput } from '../stages/inputs.js';
import { PermanentError } from './failures.js';
import { withHeartbeat } from './heartbeat.js';
import { forgeFor, remoteFor, type ReleaseServices } from './services.js';
import { nothing } from './withdrawn.js';

/** A stage's repository section; the config schema requires it for a stage that runs, so this guards old plans. */
export function configured<Settings>(settings: Settings | undefined, stage: string, section: string): Settings {
  if (settings) return settings;
  throw new PermanentError(ReleaseFailureType.InputError, `the ${stage} stage runs but ${section} is not configured`, {
    fix: `add ${section} to the config`,
  });
}

export async function freshDir(workDir: string, name: string): Promise<string> {
  const dir = join(workDir, 'repos', name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  return dir;
}

export interface ProposedChange {
  repository: string;
  base: string;
  branch: string;
  title: string;
  body: string;
  /** Edits the checked-out base in `dir`; what it changes becomes the pull request. */
  edit: (dir: string) => Promise<void>;
}

async function findPull(
  forge: Forge,
  change: ProposedChange,
  remote: Awaited<ReturnType<typeof remoteFor>>,
): Promise<PullRequest | undefined> {
  return forge.findPullRequest(remote.repo, change.branch, change.base);
}

/** A branch with the change and a pull request for it, each made only if not there yet. */
export async function proposeChange(
  services: ReleaseServices,
  step: RepoInput<unknown>,
  change: ProposedChange,
): Promise<{ url: string; branch: string; status: 'created' | 'existing' | 'up-to-date' }> {
  const forge = forgeFor(step.forge, services);
  const remote = await remoteFor(forge, change.repository);
  const existing = await findPull(forge, change, remote);
  if (existing) return { url: existing.htmlUrl, branch: change.branch, status: 'existing' };

  // A branch pushed by an earlier attempt that died before opening the pull request is used as it is.
  if (!(await services.git.resolveRemoteRef(remote, change.branch))) {
    const dir = await freshDir(step.workDir, change.branch);
    await services.git.clone(remote, dir, change.base);
    await services.git.checkoutNewBranch(dir, change.branch, 'HEAD');
    await change.edit(dir);
    const commit = await services.git.commitAll(dir, change.title);
    if (!commit) return { url: '', branch: change.branch, status: 'up-to-date' };
    await services.git.push(remote, dir, `HEAD:refs/heads/${change.branch}`);
  }
  try {
    const pull = await forge.createPullRequest(remote.repo, {
      head: change.branch,
      base: change.base,
      title: change.title,
      body: change.body,
    });
    return { url: pull.htmlUrl, branch: change.branch, status: 'created' };
  } catch (error) {
    // Opened meanwhile by an attempt we lost track of: that one is ours.
    const raced =
      error instanceof ForgeError && error.kind === 'refused' ? await findPull(forge, change, remote) : undefined;
    if (raced) return { url: raced.htmlUrl, branch: change.branch, status: 'existing' };
    throw error;
  }
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
