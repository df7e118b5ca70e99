/**
 * People on the stand-in: users with tokens of their own and team memberships, the two REST operations that ask
 * about them (`users/get-authenticated`, `teams/get-membership-for-user-in-org`), and GitHub's OAuth web flow
 * (`/login/oauth/authorize`, `/login/oauth/access_token`) for OAuth apps registered through the admin API.
 *
 * Stand-in behaviour, not GitHub's: nobody types a password. `authorize` signs in the user its `login` query
 * parameter names, or else the one `POST /_standin/oauth/sign-in` chose, and redirects straight back with a code, as
 * GitHub does for a user who authorized the app before. Users, tokens, apps and codes live in memory: a restart
 * forgets them.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from './auth.js';
import type { ApiRequest, Reply } from './github-api.js';
import { basicError, githubTime, simpleUser, type Site } from './shapes.js';

const login = z.string().regex(/^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$/, 'expected a GitHub login');
const team = z.string().regex(/^[^/\s]+\/[a-z0-9][a-z0-9_-]*$/, 'expected "<org>/<team slug>"');

export const createUserInput = z.strictObject({
  login,
  teams: z.array(team).default([]),
  name: z.string().optional(),
});
export const createOAuthAppInput = z.strictObject({ clientId: z.string().min(1), clientSecret: z.string().min(8) });
export const signInInput = z.strictObject({ login: login.nullable() });

/** How long an authorization code may be exchanged, as on GitHub. */
const codeLifetimeMs = 10 * 60 * 1000;

const sha256 = (text: string) => createHash('sha256').update(text).digest();

interface Code {
  login: string;
  clientId: string;
  redirectUri: string | undefined;
  expires: number;
}

export type PeopleOperationId = 'users/get-authenticated' | 'teams/get-membership-for-user-in-org';

export class People {
  readonly #users = new Map<string, { login: string; teams: string[]; name?: string; createdAt: string }>();
  /** Token hashes to logins; only hashes are kept. */
  readonly #tokens = new Map<string, string>();
  readonly #apps = new Map<string, Buffer>();
  readonly #codes = new Map<string, Code>();
  #signedIn: string | undefined;

  constructor(private readonly site: Site) {}

  addUser(input: unknown): { login: string; token: string } {
    const { login: name, teams, name: fullName } = createUserInput.parse(input);
    const key = name.toLowerCase();
    const known = this.#users.get(key);
    this.#users.set(key, {
      login: known?.login ?? name,
      teams,
      ...(fullName ? { name: fullName } : {}),
      createdAt: known?.createdAt ?? githubTime(),
    });
    return { login: known?.login ?? name, token: this.#issueToken(known?.login ?? name) };
  }

  addOAuthApp(input: unknown): { clientId: string } {
    const { clientId, clientSecret } = createOAuthAppInput.parse(input);
    this.#apps.set(clientId, sha256(clientSecret));
    return { clientId };
  }

  signIn(input: unknown): { login: string | null } {
    const { login: name } = signInInput.parse(input);
    this.#signedIn = name ?? undefined;
    return { login: name };
  }

  callerFor(credential: string | undefined): Caller | undefined {
    if (!credential) return undefined;
    const known = this.#tokens.get(sha256(credential).toString('hex'));
    return known ? { login: known, type: 'User' } : undefined;
  }

  /** The REST operations about people; `relforge-bot` (the stand-in's configured tokens) is a user without teams. */
  readonly api: Record<PeopleOperationId, (request: ApiRequest) => Promise<Reply>> = {
    'users/get-authenticated': async ({ caller }) => ({ status: 200, json: this.#privateUser(caller) }),
    'teams/get-membership-for-user-in-org': async ({ params }) => {
      const wanted = `${params['org'] ?? ''}/${params['team_slug'] ?? ''}`.toLowerCase();
      const member = this.#users.get((params['username'] ?? '').toLowerCase());
      if (!member?.teams.some((each) => each.toLowerCase() === wanted))
        return { status: 404, json: basicError('Not Found', '/rest/teams/members#get-team-membership-for-a-user') };
      const { org = '', team_slug: slug = '', username = '' } = params;
      return {
        status: 200,
        json: {
          url: `${this.site.base}/orgs/${org}/teams/${slug}/memberships/${username}`,
          role: 'member',
          state: 'active',
        },
      };
    },
  };

  /**
   * `GET /login/oauth/authorize`: for a registered app, redirects to `redirect_uri` (or nowhere, without one) with a
   * one-time `code` and the app's `state`, signed in as the `login` query parameter or the admin's choice.
   */
  authorize(url: URL): Reply {
    const clientId = url.searchParams.get('client_id') ?? '';
    if (!this.#apps.has(clientId))
      return { status: 404, json: { message: `stand-in: no OAuth app with client_id ${clientId || '(none)'}` } };
    const who = url.searchParams.get('login') ?? this.#signedIn;
    const user = who === undefined ? undefined : this.#users.get(who.toLowerCase());
    if (!user)
      return {
        status: 401,
        json: {
          message:
            'stand-in: nobody is signed in; pass ?login=<user> or POST /_standin/oauth/sign-in {"login": "<user>"} (after POST /_standin/users)',
        },
      };
    const redirectUri = url.searchParams.get('redirect_uri') ?? undefined;
    if (!redirectUri) return { status: 400, json: { message: 'stand-in: redirect_uri is required here' } };
    const code = randomBytes(10).toString('hex');
    this.#codes.set(code, { login: user.login, clientId, redirectUri, expires: Date.now() + codeLifetimeMs });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    const state = url.searchParams.get('state');
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, headers: { location: target.toString() } };
  }

  /**
   * `POST /login/oauth/access_token`: a code for a token, once. GitHub answers a refused exchange with 200 and an
   * `error` field, and form encoding unless the client accepts JSON; so does the stand-in.
   */
  accessToken(form: Record<string, string>, acceptsJson: boolean): Reply {
    const answer = (body: Record<string, string>): Reply =>
      acceptsJson
        ? { status: 200, json: body }
        : {
            status: 200,
            headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
            json: new URLSearchParams(body).toString(),
          };
    const secret = this.#apps.get(form['client_id'] ?? '');
    const given = sha256(form['client_secret'] ?? '');
    if (!secret || !timingSafeEqual(secret, given))
      return answer({
        error: 'incorrect_client_credentials',
        error_description: 'The client_id and/or client_secret passed are incorrect.',
        error_uri:
          'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials',
      });
    const code = this.#codes.get(form['code'] ?? '');
    const badCode = answer({
      error: 'bad_verification_code',
      error_description: 'The code passed is incorrect or expired.',
      error_uri:
        'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code',
    });
    if (!code || code.expires < Date.now() || code.clientId !== form['client_id']) return badCode;
    if (form['redirect_uri'] !== undefined && form['redirect_uri'] !== code.redirectUri)
      return answer({
        error: 'redirect_uri_mismatch',
        error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
        error_uri:
          'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch',
      });
    this.#codes.delete(form['code'] ?? '');
    return answer({ access_token: this.#issueToken(code.login), token_type: 'bearer', scope: 'read:org' });
  }

  #issueToken(name: string): string {
    const token = `gho_${randomBytes(18).toString('base64url')}`;
    this.#tokens.set(sha256(token).toString('hex'), name);
    return token;
  }

  #privateUser(caller: Caller | undefined): Record<string, unknown> {
    const name = caller?.login ?? 'relforge-bot';
    const user = this.#users.get(name.toLowerCase());
    const created = user?.createdAt ?? '2024-01-01T00:00:00Z';
    return {
      ...simpleUser(this.site, name, caller?.type ?? 'User'),
      user_view_type: 'private',
      name: user?.name ?? null,
      company: null,
      blog: '',
      location: null,
      email: null,
      hireable: null,
      bio: null,
      public_repos: 0,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: created,
      updated_at: created,
      private_gists: 0,
      total_private_repos: 0,
      owned_private_repos: 0,
      disk_usage: 0,
      collaborators: 0,
      two_factor_authentication: true,
    };
  }
}
