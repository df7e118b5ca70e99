/**
 * People on the stand-in: users with their own tokens, `GET /user` and team memberships as Octokit reads them (each
 * answer held to the OpenAPI contract), and GitHub's OAuth web flow as a gateway walks it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStandIn } from '../src/index.js';
import { octokitFor, scratch, startStandIn, type Scratch } from './helpers.js';

let space: Scratch;
let standIn: RunningStandIn;
let aliceToken: string;

const app = { clientId: 'Iv1.relforge-test', clientSecret: 'oauth-secret-for-tests' };
const callback = 'http://127.0.0.1:1/auth/github/callback';

beforeAll(async () => {
  space = scratch();
  standIn = await startStandIn(space);
  ({ token: aliceToken } = await standIn.admin.createUser({
    login: 'alice',
    teams: ['relforge-examples/release-managers'],
  }));
  await standIn.admin.createUser({ login: 'bob' });
  await standIn.admin.addOAuthApp(app);
});

afterAll(async () => {
  await standIn?.stop();
  space?.remove();
});

/** Follows nothing: the authorize step's answer is the redirect itself. */
async function authorize(query: Record<string, string>): Promise<Response> {
  return fetch(`${standIn.url}/login/oauth/authorize?${new URLSearchParams(query)}`, { redirect: 'manual' });
}

async function exchange(body: Record<string, string>, accept = 'application/json'): Promise<Response> {
  return fetch(`${standIn.url}/login/oauth/access_token`, {
    method: 'POST',
    headers: { accept, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
}

describe('people on the stand-in', () => {
  it("answers GET /user with the token's own user, as users/get-authenticated describes it", async () => {
    const { data } = await octokitFor(standIn, aliceToken).rest.users.getAuthenticated();
    expect(data).toMatchObject({ login: 'alice', type: 'User', user_view_type: 'private' });
    await expect(octokitFor(standIn, 'gho_unknown').rest.users.getAuthenticated()).rejects.toMatchObject({
      status: 401,
    });
  });

  it('says who is an active member of a team, and 404 for who is not', async () => {
    const octokit = octokitFor(standIn, aliceToken);
    const params = { org: 'relforge-examples', team_slug: 'release-managers' };
    const { data } = await octokit.rest.teams.getMembershipForUserInOrg({ ...params, username: 'alice' });
    expect(data).toMatchObject({ role: 'member', state: 'active' });
    await expect(octokit.rest.teams.getMembershipForUserInOrg({ ...params, username: 'bob' })).rejects.toMatchObject({
      status: 404,
    });
    expect(await standIn.admin.violations()).toEqual([]);
  });

  it('walks the OAuth web flow: authorize redirects with a code and the state, the code buys one token', async () => {
    const authorized = await authorize({
      client_id: app.clientId,
      redirect_uri: callback,
      state: 'state-123',
      login: 'bob',
    });
    expect(authorized.status).toBe(302);
    const location = new URL(authorized.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(callback);
    expect(location.searchParams.get('state')).toBe('state-123');
    const code = location.searchParams.get('code') ?? '';
    expect(code).toMatch(/^[0-9a-f]{20}$/);

    const exchanged = await exchange({ ...appCredentials(), code, redirect_uri: callback });
    const token = (await exchanged.json()) as { access_token: string; token_type: string; scope: string };
    expect(token).toMatchObject({ token_type: 'bearer', scope: 'read:org' });
    const { data } = await octokitFor(standIn, token.access_token).rest.users.getAuthenticated();
    expect(data.login).toBe('bob');

    // Once only, as on GitHub, which answers a refused exchange with 200 and an error.
    const again = await exchange({ ...appCredentials(), code, redirect_uri: callback });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ error: 'bad_verification_code' });
  });

  it('answers in form encoding unless JSON is accepted, and refuses a wrong secret or redirect', async () => {
    const code = await codeFor('alice');
    const wrongRedirect = await exchange({ ...appCredentials(), code, redirect_uri: 'http://elsewhere/cb' });
    expect(await wrongRedirect.json()).toMatchObject({ error: 'redirect_uri_mismatch' });
    const wrongSecret = await exchange({ client_id: app.clientId, client_secret: 'not-the-secret', code });
    expect(await wrongSecret.json()).toMatchObject({ error: 'incorrect_client_credentials' });
    const form = await exchange({ ...appCredentials(), code }, '*/*');
    expect(form.headers.get('content-type')).toContain('application/x-www-form-urlencoded');
    const fields = new URLSearchParams(await form.text());
    expect(fields.get('access_token')).toMatch(/^gho_/);
  });

  it('signs in the admin-chosen user when the URL names none, and refuses when nobody is signed in', async () => {
    expect((await authorize({ client_id: app.clientId, redirect_uri: callback })).status).toBe(401);
    await standIn.admin.signIn('alice');
    const signedIn = await authorize({ client_id: app.clientId, redirect_uri: callback });
    expect(signedIn.status).toBe(302);
    await standIn.admin.signIn(null);
    expect((await authorize({ client_id: 'unknown', redirect_uri: callback, login: 'alice' })).status).toBe(404);
  });
});

const appCredentials = () => ({ client_id: app.clientId, client_secret: app.clientSecret });

async function codeFor(login: string): Promise<string> {
  const authorized = await authorize({ client_id: app.clientId, redirect_uri: callback, login });
  return new URL(authorized.headers.get('location') ?? '').searchParams.get('code') ?? '';
}
