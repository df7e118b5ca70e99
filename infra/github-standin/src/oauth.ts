/**
 * GitHub's OAuth web flow on the stand-in (`/login/oauth/authorize`, `/login/oauth/access_token`) for OAuth apps
 * registered through the admin API, signing in the users `people.ts` keeps.
 *
 * Stand-in behaviour, not GitHub's: nobody types a password. `authorize` signs in the user its `login` query
 * parameter names, or else the one `POST /_standin/oauth/sign-in` chose, and redirects straight back with a code, as
 * GitHub does for a user who authorized the app before. Apps, codes and the tokens they give live in memory: a
 * restart forgets them (users, their own tokens and teams are in the store).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from './auth.js';
import type { Reply } from './github-api.js';
import type { Store } from './store.js';

const login = z.string().regex(/^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$/, 'expected a GitHub login');

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

export class OAuthFlow {
  /** Hashes of the tokens the flow gave, to logins; only hashes are kept. */
  readonly #tokens = new Map<string, string>();
  readonly #apps = new Map<string, Buffer>();
  readonly #codes = new Map<string, Code>();
  #signedIn: string | undefined;

  constructor(private readonly store: Store) {}

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

  /**
   * `GET /login/oauth/authorize`: for a registered app, redirects to `redirect_uri` (or nowhere, without one) with a
   * one-time `code` and the app's `state`, signed in as the `login` query parameter or the admin's choice.
   */
  authorize(url: URL): Reply {
    const clientId = url.searchParams.get('client_id') ?? '';
    if (!this.#apps.has(clientId))
      return { status: 404, json: { message: `stand-in: no OAuth app with client_id ${clientId || '(none)'}` } };
    const who = (url.searchParams.get('login') ?? this.#signedIn)?.toLowerCase();
    const user =
      who === undefined ? undefined : this.store.data.users.find((known) => known.login.toLowerCase() === who);
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
}
