/**
 * People and issues on the stand-in, through Octokit as the gateway calls them: each user's own token signs in as that
 * user (an expired or unknown one is refused), roles and team memberships answer as GitHub's, and a comment on an
 * issue goes to the repository's hooks as `issue_comment` created — every answer and payload held to GitHub's schemas.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStandIn } from '../src/index.js';
import { loadWebhookContract } from '../src/webhook-contract.js';
import { octokitFor, scratch, seedFolder, startStandIn, type Scratch } from './helpers.js';

let space: Scratch;
let standIn: RunningStandIn;
let hookServer: Server;
let hookUrl = '';
const received: { event: string | undefined; body: string }[] = [];

beforeAll(async () => {
  space = scratch();
  standIn = await startStandIn(space);
  await standIn.admin.createRepo({ owner: 'acme', name: 'hello', seedDir: seedFolder(space) });
  hookServer = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const event = request.headers['x-github-event'];
      received.push({ event: Array.isArray(event) ? event[0] : event, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await standIn.stop();
  await new Promise((resolve) => hookServer.close(resolve));
  space.remove();
});

const status = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (error: unknown) => (error as { status?: number }).status ?? -1,
  );

describe('people on the stand-in', () => {
  it('signs each user in with their own token and refuses an expired or unknown one', async () => {
    const alice = await standIn.admin.createUser({ login: 'alice' });
    const old = await standIn.admin.createUser({ login: 'olga', tokenExpiresAt: '2020-01-01T00:00:00Z' });
    const { data } = await octokitFor(standIn, alice.token).rest.users.getAuthenticated();
    expect(data).toMatchObject({ login: 'alice', type: 'User' });
    expect((await octokitFor(standIn, space.token).rest.users.getAuthenticated()).data.login).toBe('relforge-bot');
    expect(await status(octokitFor(standIn, old.token).rest.users.getAuthenticated())).toBe(401);
    expect(await status(octokitFor(standIn, 'ghp_not-a-token-of-anyone-here').rest.users.getAuthenticated())).toBe(401);
  });

  it('answers roles on a repository and team memberships as GitHub does', async () => {
    await standIn.admin.createUser({ login: 'bob' });
    await standIn.admin.createUser({ login: 'carol' });
    await standIn.admin.setCollaborator({ repo: 'acme/hello', login: 'bob', role: 'maintain' });
    await standIn.admin.createTeam({ org: 'acme', slug: 'release-managers', members: ['carol'] });
    const octokit = octokitFor(standIn, space.token);
    const permission = async (username: string) =>
      (await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: 'acme', repo: 'hello', username })).data;
    expect(await permission('bob')).toMatchObject({
      role_name: 'maintain',
      permission: 'write',
      user: { login: 'bob' },
    });
    expect(await permission('carol')).toMatchObject({ role_name: 'none', permission: 'none' });
    expect(
      await status(
        octokit.rest.repos.getCollaboratorPermissionLevel({ owner: 'acme', repo: 'hello', username: 'nobody' }),
      ),
    ).toBe(404);
    const membership = await octokit.rest.teams.getMembershipForUserInOrg({
      org: 'acme',
      team_slug: 'release-managers',
      username: 'carol',
    });
    expect(membership.data).toMatchObject({ role: 'member', state: 'active' });
    expect(
      await status(
        octokit.rest.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'release-managers', username: 'bob' }),
      ),
    ).toBe(404);
  });

  it('sends a comment on an issue to the hooks as issue_comment created, in the schema GitHub publishes', async () => {
    const bot = octokitFor(standIn, space.token);
    await bot.rest.repos.createWebhook({
      owner: 'acme',
      repo: 'hello',
      config: { url: hookUrl, content_type: 'json' },
      events: ['issue_comment'],
    });
    const bob = octokitFor(standIn, (await standIn.admin.createUser({ login: 'bob' })).token);
    const issue = await bob.rest.issues.create({ owner: 'acme', repo: 'hello', title: 'Release 1.5.0' });
    expect(issue.data).toMatchObject({ number: 1, state: 'open', user: { login: 'bob' } });
    const comment = await bob.rest.issues.createComment({
      owner: 'acme',
      repo: 'hello',
      issue_number: issue.data.number,
      body: '/relforge release 1.5.0',
    });
    expect(comment.data).toMatchObject({ body: '/relforge release 1.5.0', user: { login: 'bob' } });
    const listed = await bob.rest.issues.listComments({ owner: 'acme', repo: 'hello', issue_number: 1 });
    expect(listed.data.map((each) => each.body)).toEqual(['/relforge release 1.5.0']);
    expect((await bob.rest.issues.get({ owner: 'acme', repo: 'hello', issue_number: 1 })).data.comments).toBe(1);

    await standIn.admin.state();
    const sent = await (async () => {
      for (let tries = 0; tries < 100; tries++) {
        const found = received.find((each) => each.event === 'issue_comment');
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return undefined;
    })();
    const payload = JSON.parse(sent?.body ?? '{}') as Record<string, unknown>;
    expect(payload).toMatchObject({
      action: 'created',
      issue: { number: 1 },
      comment: { body: '/relforge release 1.5.0', user: { login: 'bob' } },
      sender: { login: 'bob' },
      repository: { full_name: 'acme/hello' },
    });
    expect(loadWebhookContract().check('issue-comment-created', payload)).toEqual([]);
    expect(await standIn.admin.violations()).toEqual([]);
  });
});
