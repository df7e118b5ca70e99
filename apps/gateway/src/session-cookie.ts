/**
 * The gateway's cookies: sealed with AES-256-GCM under a key from the session secret, so a browser can neither read
 * what they hold (the session's GitHub token, to ask the forge whose it still is) nor change it; each carries its own
 * expiry. Each kind is sealed for its own purpose, its cookie name bound as the cipher's associated data, so one kind's
 * cookie never opens as another's (a session cookie sent as the sign-in cookie is no sign-in); what opens is then held
 * to its kind's schema.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

export const sessionCookie = 'relforge_session';
export const signInCookie = 'relforge_oauth';
export type CookieKind = typeof sessionCookie | typeof signInCookie;

export class CookieSeal {
  readonly #key: Buffer;

  constructor(
    secret: string,
    private readonly secure: boolean,
  ) {
    this.#key = createHash('sha256').update(`relforge-gateway-cookies\0${secret}`).digest();
  }

  seal(kind: CookieKind, value: object, lifetimeMs: number): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(kind));
    const plain = Buffer.from(JSON.stringify({ ...value, exp: Date.now() + lifetimeMs }));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  /**
   * The value, or undefined for a cookie that is missing, altered, sealed under another secret or for another kind,
   * expired, or holding what its kind does not.
   */
  unseal<Schema extends z.ZodType<object>>(
    kind: CookieKind,
    schema: Schema,
    text: string | undefined,
  ): z.infer<Schema> | undefined {
    if (!text) return undefined;
    let opened: unknown;
    try {
      const raw = Buffer.from(text, 'base64url');
      // A tag of exactly 16 bytes: without authTagLength, Node accepts a truncated tag, which is far easier to forge.
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(kind));
      decipher.setAuthTag(raw.subarray(12, 28));
      opened = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
    } catch {
      return undefined;
    }
    const expiry = z.object({ exp: z.number() }).safeParse(opened);
    if (!expiry.success || expiry.data.exp <= Date.now()) return undefined;
    const value = schema.safeParse(opened);
    return value.success ? value.data : undefined;
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

/** What the session cookie holds: who signed in, and their token, to ask the forge whose it still is. */
export const Session = z.object({ login: z.string().min(1), token: z.string().min(1) });
export type Session = z.infer<typeof Session>;
