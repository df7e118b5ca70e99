/**
 * The benchmark's baseline: the release's activities called in the same order
 * by a bare workflow — no status, no search attributes, no stage bookkeeping.
 * Beside it, the real release workflow, so one worker serves both.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ReleaseActivities } from '@relforge/release/activities';
import type { DigestedArtifact, ReleaseInput } from '@relforge/release';
import { stepInputs } from '@relforge/release/step-inputs';

export { release } from '@relforge/release/workflows';

const activities = proxyActivities<ReleaseActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
});

export async function bareRelease(input: ReleaseInput): Promise<number> {
  const plan = await activities.prepareRelease({ ...input, startedAt: new Date().toISOString() });
  const built = await Promise.all(
    plan.targets.map((target) => activities.buildTarget(stepInputs.buildTarget(plan, target))),
  );
  const artifacts: DigestedArtifact[] = await activities.checksumArtifacts(stepInputs.checksumArtifacts(plan, built));
  await activities.uploadArtifacts(stepInputs.uploadArtifacts(plan, artifacts));
  const staged = await activities.stageForgeRelease(stepInputs.stageForgeRelease(plan, artifacts));
  await activities.publishForgeRelease(stepInputs.publishForgeRelease(plan, staged.releaseId));
  await activities.updateChecksumRepo(stepInputs.updateChecksumRepo(plan, artifacts));
  await activities.updateContainerRepo(stepInputs.updateContainerRepo(plan, artifacts));
  await activities.updateWebsite(stepInputs.updateWebsite(plan, artifacts));
  return artifacts.length;
}
