/**
 * `relforge resume` and `relforge abort`: what an operator does with a release
 * that waits for a person, or that was lost (terminated, timed out).
 */
import { Command } from 'commander';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { InputError } from '@relforge/errors';
import {
  abortSignal,
  queuedSearchAttributes,
  releaseSummary,
  resumeUpdate,
  statusQuery,
  type ReleaseInput,
  type ReleaseStatus,
} from '@relforge/release';
import type { release } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { exitCodeOf } from './errors.js';
import { auditOperatorAction, releaseStarter } from './operator-audit.js';
import { printOutcome, printStageChanges } from './release-output.js';
import { describeRelease, endedStatus } from './release-state.js';
import { printRollback } from './rollback-output.js';
import { connect, temporalTarget } from './temporal-target.js';
import { followWatched } from './workers.js';

/** What the lost run was started with, read from the first event of its history. */
async function lostRunInput(handle: WorkflowHandle, fallback: ReleaseInput): Promise<ReleaseInput> {
  const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<ReleaseInput>(payload) : fallback;
}

/**
 * The new run's input: the lost run's, with this terminal's person added to those who started a run of it. They start
 * the run as much as its first starter did, so its approval stage refuses their approval too, and the first starter's.
 */
function resumedInput(lost: ReleaseInput): ReleaseInput {
  const earlier = Array.isArray(lost.resumedBy) ? lost.resumedBy : [];
  return { ...lost, resumedBy: [...earlier, releaseStarter()] };
}

export function resumeCommand(): Command {
  return new Command('resume')
    .description('resume a release waiting for an operator, or restart a lost one from where its effects stop')
    .argument('<project>')
    .argument('<version>')
    .option('--reload-config', 'read the project config again before resuming')
    .option('--note <text>', 'why, for the audit trail')
    .action(async (project: string, version: string, options: { reloadConfig?: boolean; note?: string }) => {
      const target = temporalTarget();
      const { client, close } = await connect(target);
      try {
        const { handle, execution } = await describeRelease(client, target, project, version);
        const refusedAsReleased =
          execution === 'FAILED' && (await endedStatus(handle).catch(() => undefined))?.alreadyReleased;
        if (execution === 'COMPLETED' || refusedAsReleased) {
          console.log(`${project} ${version} is already released; nothing to resume.`);
          return;
        }
        await auditOperatorAction({
          namespace: target.namespace,
          operation: 'resume',
          project,
          inputs: {
            version,
            ...(options.note ? { note: options.note } : {}),
            ...(options.reloadConfig ? { reloadConfig: true } : {}),
          },
          workflowId: handle.workflowId,
        });
        let followed = handle;
        if (execution === 'RUNNING') {
          await handle
            .executeUpdate(resumeUpdate, {
              args: [
                {
                  ...(options.reloadConfig ? { reloadConfig: true } : {}),
                  ...(options.note ? { note: options.note } : {}),
                },
              ],
            })
            .catch((error: unknown) => {
              const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
              throw new InputError(cause?.message ?? String(error), {
                fix: `see \`relforge status ${project} ${version}\``,
              });
            });
          console.log(`resumed ${project} ${version}`);
        } else {
          // Lost (terminated, timed out, failed): a new run with the same input (a re-release stays one) and who
          // resumed it; every step skips the effects the last one made.
          const runInput = resumedInput(await lostRunInput(handle, { project, version }));
          followed = await client.workflow.start<typeof release>('release', {
            taskQueue,
            workflowId: handle.workflowId,
            args: [runInput],
            staticSummary: releaseSummary(runInput),
            typedSearchAttributes: queuedSearchAttributes(runInput),
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
          });
          console.log(`the last run ${execution.toLowerCase()}; started a new run that skips what is already done`);
        }
        const seen = new Map<string, string>();
        const ended = await followWatched(client, target, followed, (status: ReleaseStatus) =>
          printStageChanges(status, seen),
        );
        printOutcome({ workflowId: followed.workflowId, how: 'attached', ...ended }, target);
        process.exitCode = exitCodeOf(ended);
      } finally {
        await close();
      }
    });
}

export function abortCommand(): Command {
  return new Command('abort')
    .description('give up a release that waits for an operator; what it published stays published')
    .argument('<project>')
    .argument('<version>')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .option(
      '--rollback',
      'first undo what was never public (draft release, unpublished S3 files, pull requests); wait and list what went and what stayed',
    )
    .action(async (project: string, version: string, options: { reason: string; rollback?: boolean }) => {
      const target = temporalTarget();
      const { client, close } = await connect(target);
      try {
        const { handle, execution } = await describeRelease(client, target, project, version);
        if (execution !== 'RUNNING')
          throw new InputError(`release ${project} ${version} is not running (${execution.toLowerCase()})`, {
            fix: 'nothing to abort',
          });
        await auditOperatorAction({
          namespace: target.namespace,
          operation: 'abort',
          project,
          inputs: { version, reason: options.reason, ...(options.rollback ? { rollback: true } : {}) },
          workflowId: handle.workflowId,
        });
        if (!options.rollback) {
          await handle.signal(abortSignal, { reason: options.reason });
          console.log(`abort sent to ${project} ${version}: ${options.reason}`);
          return;
        }
        await abortWithRollback(handle, `${project} ${version}`, options.reason);
      } finally {
        await close();
      }
    });
}

/**
 * An abort acts only on a release that waits for an operator (a running one ignores it), so a rollback is refused
 * for any other: the command would otherwise wait for a rollback that never comes.
 */
async function abortWithRollback(handle: WorkflowHandle, title: string, reason: string): Promise<void> {
  const status = await handle.query(statusQuery);
  if (status.state !== 'waiting' || status.rollback) {
    throw new InputError(
      status.rollback
        ? `release ${title} is being rolled back already`
        : `release ${title} is ${status.state}${status.currentStage ? ` (${status.currentStage})` : ''}, not waiting for an operator; --rollback acts only on a release that waits`,
      {
        fix: status.rollback
          ? `follow it with \`relforge status ${title}\``
          : `wait until \`relforge status ${title}\` shows it waiting (a step failed), then abort it; a release that finishes has nothing to roll back`,
      },
    );
  }
  await handle.signal(abortSignal, { reason, rollback: true });
  console.log(`abort with rollback sent to ${title}: ${reason}`);
  const ended = await endedStatus(handle);
  if (!ended.status.rollback) {
    // Aborted all the same: only the undo is missing.
    console.error(
      `release ${title} ended ${ended.status.state} without a rollback: its worker runs code from before rollbacks existed; remove what it made by hand`,
    );
    process.exitCode = 1;
    return;
  }
  printRollback(title, ended.status.rollback);
  process.exitCode = ended.status.rollback.failed?.length ? 1 : 0;
}
