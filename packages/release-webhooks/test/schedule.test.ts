/** The retry schedule, Retry-After and the signature headers, without servers: the fast tier of the notifier's tests. */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { defaultRetrySchedule } from '@relforge/config';
import { longestWaitMs, retryAfterMs, retryDelayMs, signedHeaders } from '../src/index.js';

describe('the retry schedule', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h in production, then gives up', () => {
    const middle = () => 0.5;
    const waits = [1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelayMs(defaultRetrySchedule, attempt, middle));
    expect(waits).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(retryDelayMs(defaultRetrySchedule, 8, middle)).toBeUndefined();
  });

  it('moves each wait by at most a tenth either way', () => {
    expect(retryDelayMs(['10s'], 1, () => 0)).toBe(9_000);
    expect(retryDelayMs(['10s'], 1, () => 0.999_999)).toBe(11_000);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('is read as seconds or as an HTTP date, and capped', () => {
    expect(retryAfterMs('120', 3_600_000, now)).toBe(120_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 12:00:30 GMT', 3_600_000, now)).toBe(30_000);
    expect(retryAfterMs('86400', longestWaitMs(defaultRetrySchedule), now)).toBe(36_000_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 11:00:00 GMT', 3_600_000, now)).toBe(0);
  });

  it('is ignored when absent or unreadable, leaving the wait to the schedule', () => {
    expect(retryAfterMs(null, 3_600_000, now)).toBeUndefined();
    expect(retryAfterMs('soon', 3_600_000, now)).toBeUndefined();
  });
});

describe('the signature headers', () => {
  it('are what a Standard Webhooks receiver verifies, with the event id as webhook-id', () => {
    const secret = `whsec_${Buffer.from('a'.repeat(32)).toString('base64')}`;
    const body = JSON.stringify({ id: 'release/hello/1.2.3#7' });
    const headers = signedHeaders(new Webhook(secret), 'release/hello/1.2.3#7', body);
    expect(headers['webhook-id']).toBe('release/hello/1.2.3#7');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual({ id: 'release/hello/1.2.3#7' });
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });
});
