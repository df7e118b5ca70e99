/** The checksum repo stage: the release's hash lines committed to the checksum repository's branch. */
import { step } from '../../workflows/options.js';
import type { StageRun } from '../run.js';
import { checksumRepoInputs } from './inputs.js';

export async function checksumRepoStage(run: StageRun): Promise<Record<string, string>> {
  const { updateChecksumRepo } = step(`commit hash lines to ${run.plan.config.checksumRepo?.repository}`);
  const result = await updateChecksumRepo(checksumRepoInputs.updateChecksumRepo(run.plan, run.artifacts));
  const holding = result.head ?? result.commit;
  if (holding) run.placed.checksumCommit = holding;
  return {
    ...(result.commit ? { commit: result.commit } : {}),
    lines: `${result.added} added, ${result.unchanged} already there`,
  };
}
