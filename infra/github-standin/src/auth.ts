/**
 * Who a request is from, the way GitHub decides it: a token in the
 * Authorization header (`token`, `Bearer`, or Basic with the token as
 * password, as git sends it), or a GitHub App's RS256 JWT for the one
 * endpoint that trades it for an installation token.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { userForToken } from './people.js';
import type { Store } from './store.js';
import type { Caller } from './caller.js';

export type { Caller } from './caller.js';

const installationId = z.union([z.number(), z.string()]).transform(Number);

export const appSettings = z.object({
  appId: z.union([z.number(), z.string()]).transform(String),
  /** The App's installations: one id, or a list for an App installed on several accounts. */
  installationId: z
    .union([installationId, z.array(installationId).min(1)])
    .transform((ids) => (Array.isArray(ids) ? ids : [ids])),
  publicKeyPem: z.string().includes('PUBLIC KEY'),
});
export type AppSettings = z.input<typeof appSettings>;

/**
 * A fresh key pair for a GitHub App under test: the stand-in checks JWTs with `publicKeyPem`, the client signs them
 * with `privateKey`, a PKCS#1 PEM like the one GitHub lets an App's owner download.
 */
export function appKeyPair(): { privateKey: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKeyPem: publicKey };
}

const installationTokenLifetimeMs = 60 * 60 * 1000;
/** GitHub refuses app JWTs that live longer than ten minutes; allow a little clock skew either way. */
const maxJwtLifetimeSeconds = 10 * 60 + 60;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The credential in an Authorization header, whichever way it was sent. */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const [scheme = '', ...rest] = header.trim().split(/\s+/);
  const value = rest.join(' ');
  switch (scheme.toLowerCase()) {
    case 'token':
    case 'bearer':
      return value || undefined;
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon < 0 ? undefined : decoded.slice(colon + 1) || undefined;
    }
    default:
      return undefined;
  }
}

export class Authenticator {
  private readonly tokenHashes: Buffer[];
  private readonly appKey: KeyObject | undefined;
  private readonly app: z.infer<typeof appSettings> | undefined;

  constructor(
    tokens: readonly string[],
    app: z.infer<typeof appSettings> | undefined,
    private readonly store: Store,
  ) {
    // Only hashes are kept, and compared in constant time.
    this.tokenHashes = tokens.map((token) => createHash('sha256').update(token).digest());
    this.app = app;
    this.appKey = app ? createPublicKey(app.publicKeyPem) : undefined;
  }

  isInstallation(id: number): boolean {
    return this.app?.installationId.includes(id) ?? false;
  }

  callerFor(credential: string | undefined): Caller | undefined {
    if (!credential) return undefined;
    const hash = createHash('sha256').update(credential).digest();
    if (this.tokenHashes.some((known) => timingSafeEqual(known, hash))) return { login: 'relforge-bot', type: 'User' };
    const now = Date.now();
    const hex = hash.toString('hex');
    const user = userForToken(this.store, hex);
    if (user) return { login: user, type: 'User' };
    if (this.store.data.installationTokens.some((token) => token.sha256 === hex && Date.parse(token.expiresAt) > now)) {
      return { login: 'relforge-app[bot]', type: 'Bot' };
    }
    return undefined;
  }

  /** Checks an app JWT: RS256 by the registered key, issued by the app, and current. Returns why not, or undefined. */
  jwtProblem(jwt: string | undefined): string | undefined {
    if (!this.app || !this.appKey) return 'no GitHub App is registered with the stand-in';
    if (!jwt) return 'a JSON web token is required';
    const parts = jwt.split('.');
    const [header, payload, signature] = parts;
    if (parts.length !== 3 || header === undefined || payload === undefined || signature === undefined)
      return 'not a JSON web token';
    let claims: { alg?: unknown; iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      const decodedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
      if (decodedHeader.alg !== 'RS256') return 'the JWT must be signed with RS256';
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return 'not a JSON web token';
    }
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      this.appKey,
      Buffer.from(signature, 'base64url'),
    );
    if (!signed) return 'the JWT signature does not match the registered key';
    if (String(claims.iss) !== this.app.appId) return "the JWT's issuer is not the registered app";
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return 'the JWT needs numeric iat and exp';
    if (claims.exp <= now)
      return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
    if (claims.iat > now + 60)
      return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
    if (claims.exp - claims.iat > maxJwtLifetimeSeconds)
      return "'Expiration time' claim ('exp') is too far in the future";
    return undefined;
  }

  issueInstallationToken(): { token: string; expiresAt: string } {
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + installationTokenLifetimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const now = Date.now();
    this.store.data.installationTokens = this.store.data.installationTokens.filter(
      (known) => Date.parse(known.expiresAt) > now,
    );
    this.store.data.installationTokens.push({ sha256: sha256(token), expiresAt });
    this.store.save();
    return { token, expiresAt };
  }
}
