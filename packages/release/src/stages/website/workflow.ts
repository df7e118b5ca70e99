/** The website stage: a pull request that adds the release's page to the website repository. */
import { step } from '../../workflows/options.js';
import type { StageRun } from '../run.js';
import { websiteInputs } from './inputs.js';

export async function websiteStage(run: StageRun): Promise<Record<string, string>> {
  const { updateWebsite } = step(`open the release page pull request on ${run.plan.config.websiteRepo?.repository}`);
  const result = await updateWebsite(websiteInputs.updateWebsite(run.plan, run.artifacts));
  if (result.url) run.placed.websitePull = { url: result.url, branch: result.branch };
  return { pullRequest: result.url, branch: result.branch };
}
