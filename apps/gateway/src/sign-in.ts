/**
 * Signing in with GitHub, the OAuth web flow: `GET /auth/github/login` sends the browser to the forge's authorize
 * page with a fresh `state` (kept in a sealed cookie with where to return), `GET /auth/github/callback` checks that
 * state, trades the code for a token at the forge's `/login/oauth/access_token`, asks the forge who it is, and sets
 * the sealed session cookie; `GET /api/session` says who is signed in, `POST /auth/logout` signs out. A session counts
 * only while the forge still says its token is its login's, asked as often as a bearer token is (forge-people.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForgeUnreachable, type ForgeClient } from './forge-people.js';
import { z } from 'zod';
import { cookieOf, Session, sessionCookie, signInCookie, type CookieSeal } from './session-cookie.js';

export interface SignInDeps {
  /** The forge at --github-api-url, where the OAuth app's tokens are asked whose they are. */
  forge: ForgeClient;
  seal: CookieSeal;
  webUrl: string;
  /** Absent: the gateway has no OAuth app, and only bearer tokens approve. */
  oauth?: { clientId: string; clientSecret: string };
  /** The gateway's address as browsers reach it, for the callback URL. */
  publicUrl: () => string;
}

const sessionLifetimeMs = 8 * 60 * 60 * 1000;
const signInLifetimeMs = 10 * 60 * 1000;

/** Any origin stands for this gateway's own: only whether a path leaves it matters. */
const here = 'http://gateway.invalid';

/**
 * Where to send a browser after signing in: a path on this gateway, or `/`. Read as the browser will read the Location
 * (WHATWG URL parsing drops tabs and newlines and takes `\\` for `/`, so `/\t/evil.example` is `//evil.example`), and
 * kept only when it stays on this origin; what is kept is the parser's own serialisation, percent-encoded ASCII, so it
 * is always a valid header value.
 */
export function safeReturn(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(value, here);
  } catch {
    return '/';
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  return url.origin === here && !path.startsWith('//') ? path : '/';
}

/** What the sign-in cookie holds while the browser is at the forge: the OAuth state, and the path to return to. */
const PendingSignIn = z.object({
  state: z.string().regex(/^[0-9a-f]{32}$/),
  return: z.string().refine((path) => safeReturn(path) === path),
});
type PendingSignIn = z.infer<typeof PendingSignIn>;

const refused = (reply: FastifyReply, status: number, error: string, fix: string) =>
  reply.code(status).send({ error, fix });

/**
 * The browser's session: none without a sealed session cookie; ended once the forge no longer says its token is its
 * login's (revoked, or the person removed), which it is asked again after a minute, as for a bearer token.
 */
export async function sessionOf(
  request: FastifyRequest,
  seal: CookieSeal,
  forge: ForgeClient,
): Promise<Session | 'none' | 'ended'> {
  const session = seal.unseal(sessionCookie, Session, cookieOf(request, sessionCookie));
  if (!session) return 'none';
  const login = await forge.loginOf(session.token);
  return login?.toLowerCase() === session.login.toLowerCase() ? session : 'ended';
}

export const sessionEnded = {
  error: 'your sign-in has ended: the forge no longer accepts its token (revoked, expired, or your access withdrawn)',
  fix: 'sign in again at /auth/github/login',
};

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
      const pending: PendingSignIn = { state, return: safeReturn(request.query.return) };
      seal.set(
        reply,
        signInCookie,
        seal.seal(signInCookie, pending, signInLifetimeMs),
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
        const pending = seal.unseal(signInCookie, PendingSignIn, cookieOf(request, signInCookie));
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
        let login: string | undefined;
        try {
          login = await deps.forge.loginOf(token.accessToken);
        } catch (error) {
          if (!(error instanceof ForgeUnreachable)) throw error;
          return refused(reply, 503, error.message, error.fix);
        }
        if (!login)
          return refused(
            reply,
            401,
            `the forge (${deps.forge.apiUrl}) refused the token it gave for this sign-in`,
            again,
          );
        const session: Session = { login, token: token.accessToken };
        seal.set(reply, sessionCookie, seal.seal(sessionCookie, session, sessionLifetimeMs), sessionLifetimeMs / 1000);
        request.log.info({ login }, 'signed in with GitHub');
        return reply.redirect(pending.return, 302);
      },
    );

    app.get('/api/session', async (request, reply) => {
      let session: Awaited<ReturnType<typeof sessionOf>>;
      try {
        session = await sessionOf(request, seal, deps.forge);
      } catch (error) {
        if (!(error instanceof ForgeUnreachable)) throw error;
        return refused(reply, 503, error.message, error.fix);
      }
      if (session === 'none') return refused(reply, 401, 'not signed in', 'sign in at /auth/github/login');
      if (session === 'ended') {
        seal.clear(reply, sessionCookie);
        return refused(reply, 401, sessionEnded.error, sessionEnded.fix);
      }
      return { login: session.login };
    });

    // A browser's form posts url-encoded; it carries nothing this route reads.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, _body, done) =>
      done(null, undefined),
    );
    // POST only, and the cookie is cleared only for a request that carries it: SameSite=Lax keeps the session cookie
    // off another site's POST, so another site can neither sign a person out nor learn whether they were signed in.
    app.post('/auth/logout', async (request, reply) => {
      const signedIn = cookieOf(request, sessionCookie) !== undefined;
      if (signedIn) {
        seal.clear(reply, sessionCookie);
        request.log.info('signed out');
      }
      if ((request.headers.accept ?? '').includes('text/html')) return reply.redirect('/', 303);
      return { signedIn: false };
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
