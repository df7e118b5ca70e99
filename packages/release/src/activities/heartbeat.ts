/**
 * Heartbeats for long activities. Temporal notices a dead worker only through
 * missed heartbeats, so a step that waits (a build, an upload, a rate limit)
 * beats on a timer as well as on progress, and stops when cancelled.
 */
import { Context } from '@temporalio/activity';

export interface Heartbeat {
  /** Records progress; sent with the next beat and readable by a retry from `heartbeatDetails`. */
  progress(details: unknown): void;
  signal: AbortSignal;
}

export async function withHeartbeat<T>(work: (heartbeat: Heartbeat) => Promise<T>): Promise<T> {
  const context = Context.current();
  let details: unknown;
  const timer = setInterval(() => context.heartbeat(details), 5_000);
  try {
    context.heartbeat();
    return await work({
      progress(next) {
        details = next;
        context.heartbeat(next);
      },
      signal: context.cancellationSignal,
    });
  } finally {
    clearInterval(timer);
  }
}
