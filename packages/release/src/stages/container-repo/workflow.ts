/** The container repo stage: a pull request that points the container repository's Dockerfiles at the release. */
import { step } from '../../workflows/options.js';
import type { StageRun } from '../run.js';
import { containerRepoInputs } from './inputs.js';

export async function containerRepoStage(run: StageRun): Promise<Record<string, string>> {
  const { updateContainerRepo } = step(
    `open the Dockerfiles pull request on ${run.plan.config.containerRepo?.repository}`,
  );
  const result = await updateContainerRepo(containerRepoInputs.updateContainerRepo(run.plan, run.artifacts));
  if (result.url) run.placed.containerPull = { url: result.url, branch: result.branch };
  return { pullRequest: result.url, branch: result.branch };
}
