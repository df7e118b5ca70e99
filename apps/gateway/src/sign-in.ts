/**
 * Signing in with GitHub, the OAuth web flow: `GET /auth/github/login` sends the browser to the forge's authorize
 * page with a fresh `state` (kept in a sealed cookie with where to return), `GET /auth/github/callback` checks that
 * state, trades the code for a token at the forge's `/login/oauth/access_token`, asks the forge who it is, and sets
 * the sealed session cookie; `GET /api/session` says who is signed in.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IdentityError, type ForgeIdentity } from './forge-identity.js';
import { cookieOf, sessionCookie, signInCookie, type CookieSeal, type Session } from './session-cookie.js';

export interface SignInDeps {
  identity: ForgeIdentity;
  seal: CookieSeal;
  webUrl: string;
  /** Absent: the gateway has no OAuth app, and only bearer tokens approve. */
  oauth?: { clientId: string; clientSecret: string };
  /** The gateway's address as browsers reach it, for the callback URL. */
  publicUrl: () => string;
}

const sessionLifetimeMs = 8 * 60 * 60 * 1000;
const signInLifetimeMs = 10 * 60 * 1000;

/** Only a path on this gateway: `//evil.example` or `https://…` would send a signed-in browser elsewhere. */
function safeReturn(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.includes('\\')
    ? value
    : '/';
}

const refused = (reply: FastifyReply, status: number, error: string, fix: string) =>
  reply.code(status).send({ error, fix });

export function sessionOf(request: FastifyRequest, seal: CookieSeal): Session | undefined {
  const session = seal.unseal<Session>(cookieOf(request, sessionCookie));
  return session && typeof session.login === 'string' && typeof session.token === 'string' ? session : undefined;
}

export function signIn(deps: SignInDeps) {
  const { seal } = deps;
  const callbackUrl = () => `${deps.publicUrl()}/auth/github/callback`;
  const notConfigured = (reply: FastifyReply) =>
    refused(
      reply,
      404,
      'signing in with GitHub is not set up on this gateway',
      'register a GitHub OAuth app with the callback URL <gateway>/auth/github/callback and start the gateway with --oauth-client-id and --oauth-client-secret-env (or _FILE); meanwhile approve with a GitHub token',
    );

  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { return?: string } }>('/auth/github/login', async (request, reply) => {
      if (!deps.oauth) return notConfigured(reply);
      const state = randomBytes(16).toString('hex');
      seal.set(
        reply,
        signInCookie,
        seal.seal({ state, return: safeReturn(request.query.return) }, signInLifetimeMs),
        signInLifetimeMs / 1000,
        '/auth/github',
      );
      const authorize = new URL(`${deps.webUrl}/login/oauth/authorize`);
      authorize.searchParams.set('client_id', deps.oauth.clientId);
      authorize.searchParams.set('redirect_uri', callbackUrl());
      authorize.searchParams.set('scope', 'read:org');
      authorize.searchParams.set('state', state);
      return reply.redirect(authorize.toString(), 302);
    });

    app.get<{ Querystring: { code?: string; state?: string; error?: string } }>(
      '/auth/github/callback',
      async (request, reply) => {
        if (!deps.oauth) return notConfigured(reply);
        const again = 'start again at /auth/github/login';
        const pending = seal.unseal<{ state: string; return: string }>(cookieOf(request, signInCookie));
        seal.clear(reply, signInCookie, '/auth/github');
        if (request.query.error)
          return refused(reply, 401, `GitHub did not sign you in: ${request.query.error}`, again);
        if (!pending)
          return refused(reply, 400, 'no sign-in is under way in this browser (or it took over 10 minutes)', again);
        const given = Buffer.from(request.query.state ?? '');
        const expected = Buffer.from(pending.state);
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          return refused(reply, 400, 'state: does not match the sign-in this browser started', again);
        if (!request.query.code) return refused(reply, 400, 'code: missing from the callback', again);
        const token = await exchange(deps, request.query.code, callbackUrl());
        if ('error' in token) return refused(reply, 401, `GitHub refused the sign-in: ${token.error}`, again);
        let login: string;
        try {
          login = await deps.identity.loginOf(token.accessToken);
        } catch (error) {
          if (!(error instanceof IdentityError)) throw error;
          return refused(reply, error.status, error.message, error.fix);
        }
        seal.set(
          reply,
          sessionCookie,
          seal.seal({ login, token: token.accessToken }, sessionLifetimeMs),
          sessionLifetimeMs / 1000,
        );
        request.log.info({ login }, 'signed in with GitHub');
        return reply.redirect(pending.return, 302);
      },
    );

    app.get('/api/session', async (request, reply) => {
      const session = sessionOf(request, seal);
      if (!session) return refused(reply, 401, 'not signed in', 'sign in at /auth/github/login');
      return { login: session.login };
    });
  };
}

/** The code for a token; GitHub answers a refused exchange with 200 and an `error` field. */
async function exchange(
  deps: SignInDeps,
  code: string,
  redirectUri: string,
): Promise<{ accessToken: string } | { error: string }> {
  const oauth = deps.oauth as NonNullable<SignInDeps['oauth']>;
  const response = await fetch(`${deps.webUrl}/login/oauth/access_token`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: oauth.clientId,
      client_secret: oauth.clientSecret,
      code,
      redirect_uri: redirectUri,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) return { error: `the code exchange answered ${response.status}` };
  const body = (await response.json()) as { access_token?: unknown; error?: unknown };
  if (typeof body.access_token === 'string') return { accessToken: body.access_token };
  return { error: typeof body.error === 'string' ? body.error : 'no access token in the answer' };
}
