/**
 * An abort with rollback: the release's effects undone newest first, each by one idempotent step that keeps what was
 * public and names it. The steps are the stages' undos (`stages/<stage>/undo.ts`), for the stages the run started, so
 * an effect an attempt made before it failed (a branch pushed, a draft created) is found too. A worker that dies
 * mid-rollback is replaced like any other: the workflow resumes at the step it was in, and that step finds what its
 * first attempt removed already gone.
 */
import { ActivityFailure, setCurrentDetails } from '@temporalio/workflow';
import type { RollbackReport } from '../shared.js';
import { undoSteps } from '../stages/pipeline.js';
import type { StageRun } from '../stages/run.js';
import { messageOf } from './failures.js';

/**
 * Runs the undo steps into `run.status.rollback`. A step that fails for good is listed under `failed` with its error
 * and the others still run: a rollback that stopped halfway would leave more behind than one that goes on.
 */
export async function rollBack(run: StageRun): Promise<RollbackReport> {
  const report: RollbackReport = { state: 'running', removed: [], kept: [] };
  run.status.rollback = report;
  for (const compensation of undoSteps(run)) {
    setCurrentDetails(`**Rolling back** ${run.plan.project} ${run.plan.version.text}: ${compensation.summary}.`);
    try {
      const done = await compensation.run();
      report.removed.push(...done.removed);
      report.kept.push(...done.kept);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      (report.failed ??= []).push({ what: compensation.summary, why: messageOf(error) });
    }
  }
  report.state = 'done';
  return report;
}
