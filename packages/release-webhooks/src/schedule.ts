/**
 * When a failed delivery is tried again. The production schedule is Standard Webhooks' (Svix's): the first attempt at
 * once, then retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h — a receiver down for about 27 hours is
 * disabled. Each wait is jittered so receivers that failed together are not all retried in the same second.
 */
import { durationMilliseconds, type Duration } from '@relforge/config';

/** How far a wait may move either way, as a share of it. */
export const jitterShare = 0.1;

/**
 * The wait before attempt `attempt + 1`, after attempt `attempt` (1 is the first) failed; undefined once the
 * schedule is used up, when the receiver is disabled.
 */
export function retryDelayMs(schedule: readonly Duration[], attempt: number, random = Math.random): number | undefined {
  const wait = schedule[attempt - 1];
  if (wait === undefined) return undefined;
  return Math.round(durationMilliseconds(wait) * (1 - jitterShare + 2 * jitterShare * random()));
}

/** The longest wait of the schedule: a receiver's Retry-After may ask for no more. */
export function longestWaitMs(schedule: readonly Duration[]): number {
  return Math.max(...schedule.map(durationMilliseconds));
}

/**
 * A Retry-After header (RFC 9110: seconds, or an HTTP date) as milliseconds from `now`, capped at `capMs`; undefined
 * when it is absent or neither form, and then the schedule decides.
 */
export function retryAfterMs(header: string | null, capMs: number, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  const waitMs = /^\d+$/.test(text) ? Number(text) * 1_000 : Date.parse(text) - now;
  if (Number.isNaN(waitMs)) return undefined;
  return Math.min(Math.max(waitMs, 0), capMs);
}
