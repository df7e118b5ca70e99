/**
 * The release's plan (config, commit, stages), made by the one step that reads the config: at the start, and again
 * when an operator resumes with `reloadConfig`.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities.js';
import type { ReleaseInput, ReleasePlan } from '../shared.js';
import { retry } from './options.js';

const { prepareRelease } = proxyActivities<ReleaseActivities>({
  startToCloseTimeout: '2 minutes',
  retry,
  summary: 'load the config and resolve the commit to release',
});

/** The plan for a run starting now. */
export function preparePlan(input: ReleaseInput): Promise<ReleasePlan> {
  return prepareRelease({ ...input, startedAt: new Date().toISOString() });
}

/**
 * The worker's config as it is now, applied to what is left; the commit being released and its start date stay. The
 * operator chose the worker's file, so the caller's digest is not checked again.
 */
export async function reloadedPlan(input: ReleaseInput, plan: ReleasePlan): Promise<ReleasePlan> {
  const { sourceCommit, startedAt } = plan;
  const reloaded = await prepareRelease({ ...input, configSha256: undefined, startedAt });
  return { ...reloaded, sourceCommit, startedAt };
}
