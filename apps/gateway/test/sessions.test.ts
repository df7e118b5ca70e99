/**
 * Signing in and out on real processes: the gateway its own process, the GitHub stand-in playing GitHub's OAuth web
 * flow, people and roles. After signing in a browser goes back only to a path of this gateway, however the `return`
 * is spelt; no `return` or cookie makes the callback fail; a session counts only while the forge still says so; and
 * signing out clears the cookie, for a browser and a script, but never for another site's form.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createExampleProject, testStack, type ExampleProject } from '@relforge/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenAnswerMs } from '../src/forge-people.js';
import { newSecret, signInEnv, startGateway, type RunningGateway } from './gateway-process.js';

const suffix = randomBytes(3).toString('hex');
const dana = `dana-${suffix}`;
const oauthApp = { clientId: `Iv1.sessions-${suffix}`, clientSecret: `oauth-secret-${randomBytes(8).toString('hex')}` };
const gatewayTokenVariable = 'RELFORGE_TEST_GATEWAY_TOKEN';

let example: ExampleProject;
let gateway: RunningGateway;

/** Inside each test: the example's folders live as long as it does, and so does the gateway that reads its config. */
async function setUp(): Promise<void> {
  example = await createExampleProject();
  await example.admin.createUser({ login: dana });
  await example.admin.setCollaborator({ repo: example.repos.source, login: dana, role: 'write' });
  await example.admin.addOAuthApp(oauthApp);
  appendFileSync(example.configPath, `approval:\n  required: 1\n  approvers:\n    users: [${dana}]\n`);
  gateway = await startGateway(example, {
    secret: newSecret(),
    env: {
      ...signInEnv(oauthApp),
      RELFORGE_GATEWAY_TOKEN_ENV: gatewayTokenVariable,
      [gatewayTokenVariable]: testStack().github.token,
    },
  });
}

afterEach(async () => {
  await gateway?.stop();
});

const cookieOf = (response: Response, name: string) =>
  response.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith(`${name}=`))
    ?.split(';')[0];

/** The OAuth flow hop by hop as a browser follows it, up to the callback's answer (not followed). */
async function signInAnswer(login: string, query: string): Promise<Response> {
  const start = await fetch(`${gateway.url}/auth/github/login?${query}`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const pending = cookieOf(start, 'relforge_oauth') ?? '';
  const authorize = new URL(start.headers.get('location') ?? '');
  authorize.searchParams.set('login', login);
  const granted = await fetch(authorize, { redirect: 'manual' });
  expect(granted.status).toBe(302);
  return fetch(granted.headers.get('location') ?? '', { redirect: 'manual', headers: { cookie: pending } });
}

/** Where a browser lands after signing in with `return` given as this raw query text. */
async function landsAt(rawReturn: string): Promise<string | null> {
  const answer = await signInAnswer(dana, `return=${rawReturn}`);
  expect(answer.status, `return=${rawReturn}`).toBe(302);
  return answer.headers.get('location');
}

const approve = (cookie: string) =>
  fetch(`${gateway.url}/api/releases/${example.project}/9.9.9/approve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ digest: 'a'.repeat(64) }),
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));

describe('signing in', () => {
  it('sends a browser back only to a path of this gateway, however the return is spelt', async () => {
    await setUp();
    // Each of these is another site once a browser has read it: tabs and newlines are dropped, `\` is `/`.
    const elsewhere = [
      '//evil.example',
      '/%09/evil.example',
      '/%0A/evil.example',
      '/%0D%0A/evil.example',
      '/%5Cevil.example',
      '/%5C%5Cevil.example',
      '/%2F%5C/evil.example',
      '/%5C/evil.example',
      '/.//evil.example',
      '/%09%2F.%2F%2Fevil.example',
      'https://evil.example/',
      'https:evil.example',
      '%2F%2Fevil.example',
      'javascript:alert(1)',
    ];
    for (const raw of elsewhere) expect(await landsAt(raw), `return=${raw}`).toBe('/');
    // Paths of its own are kept, query and fragment too, percent-encoded where a header needs it.
    expect(await landsAt(encodeURIComponent('/?release=hello/1.5.0#approval'))).toBe('/?release=hello/1.5.0#approval');
    expect(await landsAt('/board%2F%2Fevil.example')).toBe('/board//evil.example');
  });

  it('answers a return with newlines or characters beyond Latin-1 with a redirect, and a session cookie posing as the sign-in cookie with a refusal, never a 500', async () => {
    await setUp();
    // Tabs and newlines are dropped and the rest percent-encoded, as a browser would; a header cannot carry them raw.
    expect(await landsAt('/board%0D%0ASet-Cookie:%20x=y')).toBe('/boardSet-Cookie:%20x=y');
    expect(await landsAt(encodeURIComponent('/tableau/été/✓'))).toBe('/tableau/%C3%A9t%C3%A9/%E2%9C%93');

    const signedIn = await signInAnswer(dana, 'return=/');
    const session = cookieOf(signedIn, 'relforge_session') ?? '';
    expect(session).not.toBe('');
    // A session cookie sent in the sign-in cookie's place, with a state of the right shape: no sign-in is under way.
    const start = await fetch(`${gateway.url}/auth/github/login`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const posing = await fetch(`${gateway.url}/auth/github/callback?code=x&state=${state}`, {
      redirect: 'manual',
      headers: { cookie: session.replace('relforge_session=', 'relforge_oauth=') },
    });
    expect(posing.status).toBe(400);
    expect(await posing.json()).toMatchObject({
      error: 'no sign-in is under way in this browser (or it took over 10 minutes)',
    });
    // And the other way round: a sign-in cookie is no session.
    const pending = cookieOf(start, 'relforge_oauth') ?? '';
    const asSession = await fetch(`${gateway.url}/api/session`, {
      headers: { cookie: pending.replace('relforge_oauth=', 'relforge_session=') },
    });
    expect(asSession.status).toBe(401);
  });

  it('counts a session only while the forge says so: a role taken away refused at once, a revoked token within a minute; signing out clears the cookie, never for another site', async () => {
    await setUp();
    const signedIn = await signInAnswer(dana, 'return=/');
    const cookie = cookieOf(signedIn, 'relforge_session') ?? '';
    // Accepted as dana: no run of 9.9.9 awaits approval, which only someone allowed to approve is told.
    expect(await approve(cookie)).toMatchObject({ status: 409, body: { rule: 'not-awaiting-approval' } });
    // By now the gateway has asked the forge whose the session's token is: that answer counts for a minute.
    const askedAt = Date.now();

    await example.admin.setCollaborator({ repo: example.repos.source, login: dana, role: 'read' });
    expect(await approve(cookie)).toMatchObject({
      status: 403,
      body: {
        error: `approve needs write on ${example.repos.source} (rule default access.approve); you (${dana}) have read`,
        rule: 'default access.approve',
      },
    });
    await example.admin.setCollaborator({ repo: example.repos.source, login: dana, role: 'write' });

    // Signing out: a script gets JSON, a browser's form goes back to the board; each has the cookie cleared.
    const script = await fetch(`${gateway.url}/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(script.status).toBe(200);
    expect(await script.json()).toEqual({ signedIn: false });
    expect(script.headers.getSetCookie()).toEqual([expect.stringMatching(/^relforge_session=; Path=\/; Max-Age=0;/)]);
    const form = await fetch(`${gateway.url}/auth/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect([form.status, form.headers.get('location')]).toEqual([303, '/']);
    expect(form.headers.getSetCookie()).toEqual([expect.stringMatching(/^relforge_session=; Path=\/; Max-Age=0;/)]);
    // Another site's form carries no SameSite=Lax cookie, and so clears none.
    const crossSite = await fetch(`${gateway.url}/auth/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    expect(crossSite.status).toBe(303);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    // Signing out is a POST only: a link or an image cannot sign anyone out.
    const byGet = await fetch(`${gateway.url}/auth/logout`);
    expect(byGet.status).toBe(405);
    expect(byGet.headers.get('allow')).toBe('POST');

    // The token is revoked at the forge (GET /user answers 401 from now on): a cookie someone kept is refused once
    // the gateway's minute is up.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, askedAt + tokenAnswerMs + 1_000 - Date.now())));
    await example.admin.addFault({ match: { method: 'GET', path: '^/user$' }, status: 401, count: 10 });
    try {
      expect(await approve(cookie)).toEqual({
        status: 401,
        body: {
          error:
            'your sign-in has ended: the forge no longer accepts its token (revoked, expired, or your access withdrawn)',
          fix: 'sign in again at /auth/github/login',
        },
      });
      const session = await fetch(`${gateway.url}/api/session`, { headers: { cookie } });
      expect(session.status).toBe(401);
      expect(cookieOf(session, 'relforge_session')).toBe('relforge_session=');
    } finally {
      await example.admin.clearFaults();
    }
  }, 180_000);
});
