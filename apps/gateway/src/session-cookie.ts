/**
 * The gateway's cookies: sealed with AES-256-GCM under a key from the session secret, so a browser can neither read
 * what they hold (the session's GitHub token, for team checks) nor change it; each carries its own expiry.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const sessionCookie = 'relforge_session';
export const signInCookie = 'relforge_oauth';

export class CookieSeal {
  readonly #key: Buffer;

  constructor(
    secret: string,
    private readonly secure: boolean,
  ) {
    this.#key = createHash('sha256').update(`relforge-gateway-cookies\0${secret}`).digest();
  }

  seal(value: object, lifetimeMs: number): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const plain = Buffer.from(JSON.stringify({ ...value, exp: Date.now() + lifetimeMs }));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  /** The value, or undefined for a cookie that is missing, altered, sealed under another secret or expired. */
  unseal<T>(text: string | undefined): T | undefined {
    if (!text) return undefined;
    try {
      const raw = Buffer.from(text, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
      const value = JSON.parse(plain.toString('utf8')) as T & { exp?: number };
      return typeof value.exp === 'number' && value.exp > Date.now() ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** HttpOnly and SameSite=Lax: no script reads it, and no other site's form or fetch sends it along. */
  set(reply: FastifyReply, name: string, value: string, maxAgeSeconds: number, path = '/'): void {
    const attributes = [`Path=${path}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax'];
    if (this.secure) attributes.push('Secure');
    appendCookie(reply, `${name}=${value}; ${attributes.join('; ')}`);
  }

  clear(reply: FastifyReply, name: string, path = '/'): void {
    appendCookie(reply, `${name}=; Path=${path}; Max-Age=0; HttpOnly; SameSite=Lax`);
  }
}

function appendCookie(reply: FastifyReply, cookie: string): void {
  const before = reply.getHeader('set-cookie');
  const list = before === undefined ? [] : Array.isArray(before) ? before : [String(before)];
  reply.header('set-cookie', [...list, cookie]);
}

export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** What the session cookie holds: who signed in, and their token for the forge's team checks. */
export interface Session {
  login: string;
  token: string;
}
