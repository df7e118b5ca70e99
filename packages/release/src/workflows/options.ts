/** How release steps are retried and timed out: one policy for every step. */
import type { ActivityOptions } from '@temporalio/workflow';

export const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
} satisfies ActivityOptions['retry'];

/** Talks to a forge, S3 or git remotes: heartbeats, so a dead worker is noticed in 30 s, not at the timeout. */
export const remoteStep: ActivityOptions = { startToCloseTimeout: '30 minutes', heartbeatTimeout: '30 seconds', retry };
