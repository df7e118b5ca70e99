import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStandIn } from '../src/index.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import {
  gitClient,
  octokitFor,
  scratch,
  seedFolder,
  startStandIn,
  type Scratch,
  type ThrottleEvents,
} from './helpers.js';

const owner = 'acme';
const repo = 'flaky';

let space: Scratch;
let standIn: RunningStandIn;

beforeAll(async () => {
  space = scratch();
  standIn = await startStandIn(space);
  await standIn.admin.createRepo({ owner, name: repo });
});

afterAll(async () => {
  await standIn?.stop();
  space?.remove();
});

function requestsTo(state: Awaited<ReturnType<RunningStandIn['admin']['state']>>, key: string): number {
  return state.requests[key] ?? 0;
}

describe('fault injection', () => {
  it('answers the next matching request with a 502 that plugin-retry retries through', async () => {
    await standIn.admin.addFault({
      match: { method: 'GET', path: `^/repos/${owner}/${repo}$` },
      count: 1,
      status: 502,
    });
    const before = requestsTo(await standIn.admin.state(), 'GET repos/get');
    const { data } = await octokitFor(standIn, space.token).rest.repos.get({ owner, repo });
    expect(data.name).toBe(repo);
    expect(requestsTo(await standIn.admin.state(), 'GET repos/get') - before).toBe(2);
  });

  it('sends a 429 with retry-after that plugin-throttling waits out before retrying', async () => {
    const events: ThrottleEvents = { secondary: [], primary: [] };
    await standIn.admin.addFault({ match: { path: '/releases$' }, status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    await octokitFor(standIn, space.token, events).rest.repos.listReleases({ owner, repo });
    expect(events.secondary).toEqual([1]);
    // retry-after 1 s times the test's retryAfterBaseValue of 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  it('sends a secondary-rate-limit 403 that plugin-throttling reports and retries', async () => {
    const events: ThrottleEvents = { secondary: [], primary: [] };
    await standIn.admin.addFault({ match: { method: 'POST' }, status: 403, headers: { 'retry-after': '2' } });
    const { data } = await octokitFor(standIn, space.token, events).rest.repos.createRelease({
      owner,
      repo,
      tag_name: 'v0.1.0',
      draft: true,
    });
    expect(data.draft).toBe(true);
    expect(events.secondary).toEqual([2]);
  });

  it('sends a primary-rate-limit 403 with x-ratelimit-remaining 0 that waits for the reset', async () => {
    const events: ThrottleEvents = { secondary: [], primary: [] };
    const reset = Math.floor(Date.now() / 1000) + 1;
    await standIn.admin.addFault({
      match: { path: '/pulls$' },
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    });
    await octokitFor(standIn, space.token, events).rest.pulls.list({ owner, repo });
    expect(events.primary).toHaveLength(1);
    expect(events.secondary).toEqual([]);
  });

  it('gives up like GitHub would when the faults outlast the retries', async () => {
    await standIn.admin.addFault({ match: { path: `^/repos/${owner}/${repo}$` }, count: 10, status: 500 });
    await expect(octokitFor(standIn, space.token).rest.repos.get({ owner, repo })).rejects.toMatchObject({
      status: 500,
    });
    expect((await standIn.admin.state()).faultsPending).toBe(6);
    await standIn.admin.clearFaults();
    expect((await standIn.admin.state()).faultsPending).toBe(0);
  });

  it('holds a request, and still carries it out when its client gave up waiting: the reply that never came', async () => {
    await standIn.admin.addFault({ match: { method: 'POST', path: '/releases$' }, holdMs: 1500 });
    const gaveUp = fetch(`${standIn.url}/repos/${owner}/${repo}/releases`, {
      method: 'POST',
      headers: { authorization: `token ${space.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tag_name: 'v0.9.0', name: 'held', draft: true }),
      signal: AbortSignal.timeout(300),
    });
    await expect(gaveUp).rejects.toThrow(/timeout|aborted/i);
    expect((await standIn.admin.state()).held).toEqual({ now: 1, total: 1 });
    const releases = async () =>
      (await standIn.admin.state()).repos[`${owner}/${repo}`]?.releases.filter((release) => release.name === 'held') ??
      [];
    expect(await releases()).toHaveLength(0);
    for (let waited = 0; (await releases()).length === 0 && waited < 5_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await releases()).toHaveLength(1);
    expect((await standIn.admin.state()).held).toEqual({ now: 0, total: 1 });
  });

  it('holds a push, and lands it when the hold ends although the pushing git was killed', async () => {
    const created = await standIn.admin.createRepo({
      owner,
      name: 'held-push',
      seedDir: seedFolder(space, 'held-push-seed'),
    });
    const git = gitClient(space);
    const work = join(space.dir, 'held-push');
    git(['clone', '--quiet', created.cloneUrl, work]);
    git(['commit', '--quiet', '--allow-empty', '-m', 'pushed while held'], work);
    const commit = git(['rev-parse', 'HEAD'], work);
    await standIn.admin.addFault({
      match: { method: 'POST', path: '/held-push\\.git/git-receive-pack$' },
      holdMs: 1500,
    });
    const push = spawn('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: work, env: git.env, stdio: 'ignore' });
    for (let waited = 0; (await standIn.admin.state()).held.now === 0; waited += 50) {
      if (waited > 10_000) throw new Error('the push never reached the stand-in');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    push.kill('SIGKILL');
    await once(push, 'exit');
    const remoteMain = () => git(['ls-remote', created.cloneUrl, 'refs/heads/main']).split('\t')[0];
    expect(remoteMain()).not.toBe(commit);
    for (let waited = 0; remoteMain() !== commit && waited < 5_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(remoteMain()).toBe(commit);
  });

  it('refuses a fault it cannot inject, naming the field', async () => {
    await expect(standIn.admin.addFault({ match: { path: '(' }, status: 502 })).rejects.toThrow(
      /match\.path: not a valid regular expression/,
    );
  });

  it('faulted answers carry GitHub-valid bodies: no contract violations so far', async () => {
    expect(await standIn.admin.violations()).toEqual([]);
  });

  it('catches a response that breaks the contract, answers 500 and records the violation', async () => {
    await standIn.admin.addFault({ match: { path: `^/repos/${owner}/${repo}$` }, omitField: 'default_branch' });
    await expect(
      octokitFor(standIn, space.token).rest.repos.get({ owner, repo, request: { retries: 0 } }),
    ).rejects.toMatchObject({
      status: 500,
      message: expect.stringContaining('relforge stand-in: contract violation: repos/get 200 response'),
    });
    const violations = await standIn.admin.violations();
    expect(violations).toEqual([
      expect.objectContaining({
        operation: 'repos/get',
        direction: 'response',
        status: 200,
        errors: [{ at: 'body', message: "must have required property 'default_branch'" }],
      }),
    ]);
  });

  it('records a request that breaks the contract and refuses it with 422 like GitHub', async () => {
    const response = await fetch(`${standIn.url}/repos/${owner}/${repo}/releases`, {
      method: 'POST',
      headers: { authorization: `token ${space.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tag_name: 'v9', draft: 'yes' }),
    });
    expect(response.status).toBe(422);
    const violations = await standIn.admin.violations();
    expect(violations.at(-1)).toMatchObject({
      direction: 'request',
      errors: [{ at: 'body/draft', message: 'must be boolean' }],
    });
  });
});
