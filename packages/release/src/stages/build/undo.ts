/** The build stage's undo: the release's folder in the private staging prefix removed, when the config stages files. */
import { step } from '../../workflows/options.js';
import { started, type Compensation, type StageRun } from '../run.js';

export function undoBuild(run: StageRun): Compensation[] {
  const { plan } = run;
  if (!started(run, 'build') || plan.config.publish.s3.stagingPrefix === undefined) return [];
  const staged = `remove the staged files of ${plan.project} ${plan.version.text}`;
  const files = [...new Set([...run.built, ...run.artifacts].map(({ file }) => file))];
  const input = {
    s3: plan.config.publish.s3,
    project: plan.project,
    version: plan.version.text,
    commit: plan.sourceCommit,
    files,
  };
  return [{ summary: staged, run: () => step(staged).withdrawStagedFiles(input) }];
}
