/**
 * A release's status from any client, worker or not: a running release
 * answers the `status` query; an ended one is read from its result, or from
 * the details of its failure, both kept in history.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { InputError } from '@relforge/errors';
import {
  completedReleaseQuery,
  ReleaseFailureType,
  releaseWorkflowId,
  statusQuery,
  type ReleaseStatus,
} from '@relforge/release';
import { RelforgeState } from '@relforge/temporal-names';
import { ReleaseLostError } from './errors.js';
import type { TemporalTarget } from './temporal-target.js';

/** A release as a command saw it end (or stop to wait for an operator). */
export interface ReleaseRun extends Ended {
  workflowId: string;
  /** started: this command started it; attached: it was running; completed: it had already finished. */
  how: 'started' | 'attached' | 'completed';
}

/** The release's workflow and how its latest run stands; an unknown release is bad input, with the command to start it. */
export async function describeRelease(client: Client, target: TemporalTarget, project: string, version: string) {
  const handle = client.workflow.getHandle(releaseWorkflowId(project, version));
  const description = await handle.describe().catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) {
      throw new InputError(
        `no release of ${project} ${version} in namespace ${target.namespace} on ${target.address}`,
        {
          fix: `start it with \`relforge release ${version} --config <file>\``,
        },
      );
    }
    throw error;
  });
  return { handle, execution: description.status.name, description };
}

/**
 * When the running release's run was started, if no worker has taken it yet: its workflow code has not run, so there
 * is no status to ask it for. Its first workflow task sets `RelforgeState` to `preparing`; until then it is unset (a
 * start by the stock CLI) or `queued` (by `relforge release`/`resume`).
 */
export function queuedSince(description: WorkflowExecutionDescription): Date | undefined {
  if (description.status.name !== 'RUNNING') return undefined;
  const state = description.typedSearchAttributes.get(RelforgeState);
  return state === undefined || state === 'queued' ? description.startTime : undefined;
}

/** The status of a release no worker has taken: queued, nothing planned yet. */
export function queuedStatus(project: string, version: string): ReleaseStatus {
  return { project, version, state: 'queued', stages: [], artifacts: [], audit: [] };
}

export interface Ended {
  status: ReleaseStatus;
  failed: boolean;
  /** The release holds for an operator: it has not ended, but following it further would wait forever. */
  waiting?: boolean;
  /** This run was refused because an earlier one completed the release: `status` is that earlier run's. */
  alreadyReleased?: boolean;
}

/** The status of the run of this release's id that completed, if visibility still lists it. */
async function completedRun(handle: WorkflowHandle): Promise<ReleaseStatus | undefined> {
  const query = completedReleaseQuery(handle.workflowId);
  for await (const execution of handle.client.list({ query })) {
    return (await handle.client.getHandle(handle.workflowId, execution.runId).result()) as ReleaseStatus;
  }
  return undefined;
}

/** How a run ended that left no status behind, or undefined for any other failure. */
function lostHow(cause: unknown): string | undefined {
  if (cause instanceof TerminatedFailure) return `was terminated (${cause.message})`;
  if (cause instanceof TimeoutFailure) return 'timed out';
  if (cause instanceof CancelledFailure) return 'was cancelled';
  return undefined;
}

/** The outcome of a release that ended; a run lost from outside (terminated, timed out) is a ReleaseLostError. */
export async function endedStatus(handle: WorkflowHandle): Promise<Ended> {
  try {
    return { status: (await handle.result()) as ReleaseStatus, failed: false };
  } catch (error) {
    const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
    const details = cause instanceof ApplicationFailure ? cause.details : undefined;
    if (cause instanceof ApplicationFailure && cause.type === ReleaseFailureType.AlreadyReleased) {
      // A stray start (stock CLI, a tag job) after the release completed: what counts is the run that released it.
      const released = await completedRun(handle);
      if (released) return { status: released, failed: false, alreadyReleased: true };
    }
    if (details?.[0]) return { status: details[0] as ReleaseStatus, failed: true };
    const how = lostHow(cause);
    if (!how) throw error;
    // Workflow ids are `release/<project>/<version>`; the workflow's own status died with the run.
    const [, project = handle.workflowId, version = ''] = /^release\/([^/]+)\/(.+)$/.exec(handle.workflowId) ?? [];
    const release = `${project} ${version}`.trim();
    throw new ReleaseLostError(`release ${release} was lost: its run ${how} before it finished`, {
      fix: `run \`relforge resume ${release}\`: a new run finds what the lost one made and does only the rest`,
      cause: error,
    });
  }
}

/** Follows a release to its end, reporting each change in its status. */
export async function followRelease(handle: WorkflowHandle, onStatus: (status: ReleaseStatus) => void): Promise<Ended> {
  for (;;) {
    // Short calls, each awaited, rather than a long poll for the result beside them: a release that stops to wait
    // would leave that poll open when the command closes its connection, and a retry of it due then throws on the
    // closed channel outside any handler (grpc-js), ending the command with exit 1 after it printed its outcome.
    const { status: execution } = await handle.describe();
    if (execution.name !== 'RUNNING') {
      const outcome = await endedStatus(handle);
      onStatus(outcome.status);
      return outcome;
    }
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status) onStatus(status);
    // Awaiting approval holds for people too (hours, perhaps): said, and left to `relforge approve`.
    if (status?.state === 'waiting' || status?.state === 'awaiting-approval')
      return { status, failed: false, waiting: true };
    await sleep(500);
  }
}
