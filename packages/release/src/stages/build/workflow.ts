/**
 * The build stage: each matrix target on the task queue of its platform, where only workers that build that platform
 * poll, and the source tarball (the same on every platform) on the main queue. A target no worker takes in time is
 * shown as waiting for a builder of its platform and queued again: it neither fails nor waits silently.
 */
import { ActivityFailure, patched, proxyActivities, TimeoutFailure, type ActivityOptions } from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import { buildTaskQueue } from '@relforge/temporal-names';
import type { ReleaseActivities } from '../../activities.js';
import type { Artifact, BuildTarget } from '../../shared.js';
import { retry } from '../../workflows/options.js';
import type { StageRun } from '../run.js';
import { buildInputs } from './inputs.js';

/**
 * How long a build may sit in its platform's queue before the status says no builder took it. Short the first time,
 * so a missing builder shows within seconds; long after, since an operator has been told and each wait is in history.
 */
const firstWaitForBuilder = '15 seconds';
const laterWaitForBuilder = '10 minutes';

export async function buildStage(run: StageRun): Promise<Record<string, string>> {
  const { plan } = run;
  // Read from the plan each time the stage runs, so a resume with reloadConfig applies the new build.timeout.
  const options: ActivityOptions = {
    startToCloseTimeout: plan.config.build.timeout,
    heartbeatTimeout: '30 seconds',
    retry,
  };
  const onMainQueue = (summary: string) => proxyActivities<ReleaseActivities>({ ...options, summary });
  // Older runs built every target on the main queue, on whichever worker took it.
  const perPlatform = patched('build-per-platform');
  const built = await Promise.all([
    ...plan.targets.map((target) =>
      perPlatform
        ? buildOnItsPlatform(run, target, options)
        : onMainQueue(`build ${target.distro}/${target.arch}`).buildTarget(buildInputs.buildTarget(plan, target)),
    ),
    ...(plan.config.build.sourceTarball
      ? [onMainQueue('build the source tarball').buildSourceTarball(buildInputs.buildSourceTarball(plan))]
      : []),
  ]);
  run.built = built;
  return { artifacts: String(built.length) };
}

async function buildOnItsPlatform(run: StageRun, target: BuildTarget, options: ActivityOptions): Promise<Artifact> {
  const taskQueue = buildTaskQueue(target);
  const build = run.trackBuild(target, taskQueue);
  for (let waited = false; ; waited = true) {
    const { buildTarget } = proxyActivities<ReleaseActivities>({
      ...options,
      taskQueue,
      scheduleToStartTimeout: waited ? laterWaitForBuilder : firstWaitForBuilder,
      summary: `build ${target.distro}/${target.arch} on ${taskQueue}`,
    });
    try {
      const artifact = await buildTarget(buildInputs.buildTarget(run.plan, target));
      run.setBuildState(build, 'built');
      return artifact;
    } catch (error) {
      if (!noBuilderTookIt(error)) throw error;
      run.setBuildState(build, 'waiting-for-builder');
    }
  }
}

/** A schedule-to-start timeout is never retried by the retry policy: it reaches the workflow at once, as this. */
function noBuilderTookIt(error: unknown): boolean {
  return (
    error instanceof ActivityFailure &&
    error.cause instanceof TimeoutFailure &&
    error.cause.timeoutType === TimeoutType.SCHEDULE_TO_START
  );
}
