/**
 * The gateway's rules as pure functions, beside the process tests that show them (sessions.test.ts,
 * dispatch.test.ts): where a browser may be sent after signing in, and how much the gateway remembers of tokens.
 */
import { describe, expect, it } from 'vitest';
import { ExpiringCache } from '../src/expiring-cache.js';
import { safeReturn } from '../src/sign-in.js';

describe('a return path', () => {
  it('is kept only as a path of this origin, after the parsing a browser applies', () => {
    expect(safeReturn('/board?x=1#y')).toBe('/board?x=1#y');
    expect(safeReturn('/\t/evil.example')).toBe('/');
    expect(safeReturn('/\n/evil.example')).toBe('/');
    expect(safeReturn('/\\evil.example')).toBe('/');
    expect(safeReturn('/\\/evil.example')).toBe('/');
    expect(safeReturn('//evil.example')).toBe('/');
    expect(safeReturn('/./\\evil.example')).toBe('/');
    expect(safeReturn('https://evil.example')).toBe('/');
    expect(safeReturn(['/a', '/b'])).toBe('/');
    expect(safeReturn('/é\r\n')).toBe('/%C3%A9');
  });
});

describe('what the gateway remembers of tokens', () => {
  it('forgets an answer once it expires, and the oldest first once full', () => {
    let now = 0;
    const cache = new ExpiringCache<string | undefined>(3, 1_000, () => now);
    cache.set('a', undefined);
    expect(cache.get('a')).toEqual({ value: undefined });
    cache.set('b', 'bob');
    cache.set('c', 'carol');
    cache.set('d', 'dave');
    expect([cache.size, cache.get('a'), cache.get('b')]).toEqual([3, undefined, { value: 'bob' }]);
    now = 600;
    cache.set('e', 'erin');
    now = 1_100;
    // b, c and d expired: the next answer stored drops them all, not just the oldest.
    cache.set('f', 'frank');
    expect([cache.size, cache.get('e'), cache.get('f'), cache.get('b')]).toEqual([
      2,
      { value: 'erin' },
      { value: 'frank' },
      undefined,
    ]);
  });
});
