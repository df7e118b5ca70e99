import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Octokit } from '@octokit/rest';
import type { RunningStandIn } from '../src/index.js';
import { gitClient, octokitFor, scratch, seedFolder, startStandIn, type GitClient, type Scratch } from './helpers.js';

const owner = 'acme';
const repo = 'website';

let space: Scratch;
let standIn: RunningStandIn;
let octokit: Octokit;
let git: GitClient;
let checkout: string;

beforeAll(async () => {
  space = scratch();
  standIn = await startStandIn(space);
  octokit = octokitFor(standIn, space.token);
  await standIn.admin.createRepo({ owner, name: repo, seedDir: seedFolder(space) });
  git = gitClient(space);
  checkout = join(space.dir, 'checkout');
  git(['clone', '--quiet', `${standIn.url}/${owner}/${repo}.git`, checkout]);
});

afterAll(async () => {
  await standIn?.stop();
  space?.remove();
});

function commitAndPush(branch: string, file: string): string {
  git(['checkout', '--quiet', '-B', branch, 'origin/main'], checkout);
  writeFileSync(join(checkout, file), `${branch}\n`);
  git(['add', file], checkout);
  git(['commit', '--quiet', '-m', `change on ${branch}`], checkout);
  git(['push', '--quiet', 'origin', branch], checkout);
  return git(['rev-parse', 'HEAD'], checkout);
}

describe('pull requests', () => {
  it('refuses a pull request whose head branch was never pushed', async () => {
    await expect(
      octokit.rest.pulls.create({ owner, repo, title: 'Release 1.0', head: 'release/1.0', base: 'main' }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] } },
    });
  });

  it('opens a pull request from a pushed branch whose head sha is the pushed commit', async () => {
    const pushed = commitAndPush('release/1.0', 'CHANGELOG.md');
    const { data: created } = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'Release 1.0',
      head: 'release/1.0',
      base: 'main',
      body: 'notes',
    });
    expect(created.head.sha).toBe(pushed);
    expect(created.base.sha).toBe(git(['rev-parse', 'origin/main'], checkout));
    const { data: fetched } = await octokit.rest.pulls.get({ owner, repo, pull_number: created.number });
    expect(fetched.head.ref).toBe('release/1.0');
  });

  it('moves the pull request head when the branch is pushed again', async () => {
    git(['checkout', '--quiet', 'release/1.0'], checkout);
    writeFileSync(join(checkout, 'CHANGELOG.md'), 'second\n');
    git(['commit', '--quiet', '-am', 'second change'], checkout);
    git(['push', '--quiet', 'origin', 'release/1.0'], checkout);
    const { data: pulls } = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:release/1.0`, state: 'open' });
    expect(pulls.map((pull) => pull.head.sha)).toEqual([git(['rev-parse', 'HEAD'], checkout)]);
  });

  it('refuses a second open pull request for the same head and base', async () => {
    await expect(
      octokit.rest.pulls.create({ owner, repo, title: 'again', head: 'release/1.0', base: 'main' }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: `A pull request already exists for ${owner}:release/1.0.` }] } },
    });
  });

  it('refuses a pull request from a branch onto itself', async () => {
    await expect(
      octokit.rest.pulls.create({ owner, repo, title: 'self', head: 'main', base: 'main' }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('filters the list by head and base', async () => {
    commitAndPush('docs', 'DOCS.md');
    await octokit.rest.pulls.create({ owner, repo, title: 'Docs', head: `${owner}:docs`, base: 'main' });
    const byHead = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:docs` });
    expect(byHead.data.map((pull) => pull.title)).toEqual(['Docs']);
    const byBase = await octokit.rest.pulls.list({ owner, repo, base: 'main' });
    expect(byBase.data.map((pull) => pull.title)).toEqual(['Docs', 'Release 1.0']);
    const state = await standIn.admin.state();
    expect(state.repos[`${owner}/${repo}`]?.pulls).toHaveLength(2);
  });

  it('closes a pull request, and reopens it only while its head branch exists', async () => {
    const [docs] = (await octokit.rest.pulls.list({ owner, repo, head: `${owner}:docs` })).data;
    const { data: closed } = await octokit.rest.pulls.update({
      owner,
      repo,
      pull_number: docs?.number ?? 0,
      state: 'closed',
    });
    expect(closed.state).toBe('closed');
    expect(closed.closed_at).not.toBeNull();
    expect((await octokit.rest.pulls.list({ owner, repo, head: `${owner}:docs` })).data).toEqual([]);
    const { data: reopened } = await octokit.rest.pulls.update({
      owner,
      repo,
      pull_number: closed.number,
      state: 'open',
    });
    expect([reopened.state, reopened.closed_at]).toEqual(['open', null]);
    await octokit.rest.pulls.update({ owner, repo, pull_number: closed.number, state: 'closed' });
    git(['push', '--quiet', 'origin', '--delete', 'docs'], checkout);
    await expect(
      octokit.rest.pulls.update({ owner, repo, pull_number: closed.number, state: 'open' }),
    ).rejects.toMatchObject({ status: 422 });
    const state = await standIn.admin.state();
    expect(state.repos[`${owner}/${repo}`]?.pulls.find((pull) => pull.head === 'docs')?.state).toBe('closed');
  });

  it('saw no contract violations in any of the above', async () => {
    expect(await standIn.admin.violations()).toEqual([]);
  });
});
