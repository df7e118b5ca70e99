import { join } from 'node:path';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appKeyPair, type RunningStandIn } from '../src/index.js';
import { gitClient, octokitFor, quietLog, scratch, seedFolder, startStandIn, type Scratch } from './helpers.js';

const owner = 'acme';
const repo = 'secure';
const app = { appId: 4242, installationId: 77 };
/** The same App installed on a second account. */
const otherInstallationId = 78;
const { privateKey, publicKeyPem } = appKeyPair();

let space: Scratch;
let standIn: RunningStandIn;

beforeAll(async () => {
  space = scratch();
  standIn = await startStandIn(space, {
    app: { ...app, installationId: [app.installationId, otherInstallationId], publicKeyPem },
  });
  await standIn.admin.createRepo({ owner, name: repo, seedDir: seedFolder(space) });
});

afterAll(async () => {
  await standIn?.stop();
  space?.remove();
});

describe('authentication', () => {
  it('answers an unknown token with 401 Bad credentials', async () => {
    await expect(octokitFor(standIn, 'ghp_not-a-token').rest.repos.get({ owner, repo })).rejects.toMatchObject({
      status: 401,
      response: { data: { message: 'Bad credentials' } },
    });
  });

  it('answers a request without a token with 401', async () => {
    const response = await fetch(`${standIn.url}/repos/${owner}/${repo}/releases`);
    expect(response.status).toBe(401);
  });

  it('lets anyone clone a public repository, asks git for Basic credentials to push, and refuses a wrong token', () => {
    const remote = `${standIn.url}/${owner}/${repo}.git`;
    const anonymous = gitClient(space, null);
    const checkout = join(space.dir, 'anonymous-checkout');
    anonymous(['clone', '--quiet', remote, checkout]);
    anonymous(['-C', checkout, 'commit', '--quiet', '--allow-empty', '-m', 'anonymous']);
    expect(() => anonymous(['-C', checkout, 'push', '--quiet', 'origin', 'HEAD:main'])).toThrow(
      /could not read Username|Authentication failed/,
    );
    expect(() => gitClient(space, 'ghp_wrong')(['ls-remote', remote])).toThrow(
      /could not read Username|Authentication failed/,
    );
  });

  it('accepts the token as a Basic password with any user name, as git sends it', () => {
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${space.token}`).toString('base64')}`;
    const git = gitClient(space, null);
    const refs = git([
      '-c',
      `http.extraHeader=${header}`,
      'ls-remote',
      '--heads',
      `${standIn.url}/${owner}/${repo}.git`,
    ]);
    expect(refs).toMatch(/\trefs\/heads\/main$/);
  });

  it('trades a GitHub App JWT for an installation token that works for the API and for git', async () => {
    const installation = new Octokit({
      authStrategy: createAppAuth,
      auth: { ...app, privateKey },
      baseUrl: standIn.url,
      log: quietLog,
    });
    const { data } = await installation.rest.repos.get({ owner, repo });
    expect(data.full_name).toBe(`${owner}/${repo}`);
    const { token } = (await installation.auth({ type: 'installation' })) as { token: string };
    expect(token).toMatch(/^ghs_/);
    const checkout = join(space.dir, 'app-checkout');
    gitClient(space, token)(['clone', '--quiet', `${standIn.url}/${owner}/${repo}.git`, checkout]);
  });

  it("hands out tokens for each of the App's installations, and 404 for one it does not have", async () => {
    const installedOn = (installationId: number) =>
      new Octokit({
        authStrategy: createAppAuth,
        auth: { ...app, installationId, privateKey },
        baseUrl: standIn.url,
        log: quietLog,
      });
    const { data } = await installedOn(otherInstallationId).rest.repos.get({ owner, repo });
    expect(data.full_name).toBe(`${owner}/${repo}`);
    await expect(installedOn(79).rest.repos.get({ owner, repo })).rejects.toMatchObject({ status: 404 });
  });

  it('refuses an app JWT signed by another key', async () => {
    const other = appKeyPair();
    const impostor = new Octokit({
      authStrategy: createAppAuth,
      auth: { ...app, privateKey: other.privateKey },
      baseUrl: standIn.url,
      log: quietLog,
    });
    await expect(impostor.rest.repos.get({ owner, repo })).rejects.toMatchObject({ status: 401 });
  });

  it('saw no contract violations in any of the above', async () => {
    expect(await standIn.admin.violations()).toEqual([]);
  });
});
