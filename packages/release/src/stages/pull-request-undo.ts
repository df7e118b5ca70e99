/**
 * The undo of a repository stage that opens a pull request (container repo, website): the pull request closed and its
 * branch deleted, unless it was merged. Run only for a stage the run began, since only then can a branch exist.
 */
import { pullRequestBranch, type WithdrawPullInput } from '../rollback-inputs.js';
import { step } from '../workflows/options.js';
import { started, type StageUndo } from './run.js';

export const undoPullRequest =
  (stage: 'container-repo' | 'website'): StageUndo =>
  (run) => {
    const { plan } = run;
    const settings = stage === 'website' ? plan.config.websiteRepo : plan.config.containerRepo;
    if (!started(run, stage) || !settings) return [];
    const input: WithdrawPullInput = {
      forge: plan.config.forge,
      repository: settings.repository,
      base: settings.base,
      branch: pullRequestBranch(stage, plan.version.text),
    };
    const summary = `close the pull request from ${input.branch} on ${input.repository} and delete its branch`;
    return [{ summary, run: () => step(summary).withdrawPullRequest(input) }];
  };
