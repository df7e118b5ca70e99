/** How release steps are retried and timed out (one policy for every step), and how the Web UI lists each. */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities.js';

export const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
} satisfies ActivityOptions['retry'];

/** Talks to a forge, S3 or git remotes: heartbeats, so a dead worker is noticed in 30 s, not at the timeout. */
export const remoteStep: ActivityOptions = { startToCloseTimeout: '30 minutes', heartbeatTimeout: '30 seconds', retry };

/** The steps as the Web UI lists them: each call carries a one-line summary of what it does to what. */
export const step = (summary: string, options: ActivityOptions = remoteStep) =>
  proxyActivities<ReleaseActivities>({ ...options, summary });

export const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
