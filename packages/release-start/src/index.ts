/**
 * Starting a release from any client — `relforge release`, the gateway — by its one workflow id and the id policies
 * that make a second start attach instead of releasing twice. The gateway's starts carry a trigger, sent with
 * signal-with-start, which the workflow records once per delivery id.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import {
  ReleaseFailureType,
  queuedSearchAttributes,
  releaseSummary,
  releaseWorkflowId,
  triggerSignal,
  type ReleaseInput,
  type ReleaseTrigger,
} from '@relforge/release';
import type { release } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { startSayingWhether } from './started-run.js';

export {
  NoTrain,
  startTrain,
  takeStep,
  trainStatus,
  TrainRefused,
  type StepRequest,
  type TrainHandle,
  type TrainWait,
} from './train.js';

/** started: this call started it; attached: it was running; completed: it had already finished. */
export type StartHow = 'started' | 'attached' | 'completed';

export interface StartedRelease {
  handle: WorkflowHandle<typeof release>;
  how: StartHow;
}

/**
 * Running: attach to it. Completed: refuse a second release, unless re-releasing on purpose (audited, and the workflow
 * refuses it without the flag too). Failed or terminated: a new run may finish the job.
 */
function idPolicies(input: ReleaseInput) {
  return {
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: input.rerelease ? 'ALLOW_DUPLICATE' : 'ALLOW_DUPLICATE_FAILED_ONLY',
  } as const;
}

/** How the latest run of the release's id stands, or undefined when there is none. */
async function latestRun(client: Client, workflowId: string) {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return { status: description.status.name, runId: description.runId };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** The run failed only because an earlier one had released the version: a stray start, which means "released". */
async function refusedAsReleased(handle: WorkflowHandle): Promise<boolean> {
  try {
    await handle.result();
    return false;
  } catch (error) {
    const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
    return cause instanceof ApplicationFailure && cause.type === ReleaseFailureType.AlreadyReleased;
  }
}

/** Starts the release, or attaches to the run in progress; a version out already is reported as `completed`. */
export async function startRelease(client: Client, input: ReleaseInput): Promise<StartedRelease> {
  return startOrSignal(client, input, undefined);
}

export type TriggerOutcome =
  | StartedRelease
  /** This delivery reached an earlier run of the release that has ended since: nothing was started. */
  | { handle: WorkflowHandle<typeof release>; how: 'delivered-before'; runId: string; runStatus: string };

/**
 * Starts the release with this trigger, or hands the trigger to the run in progress, which records each delivery id
 * once. A delivery an ended run had already received (GitHub's "Redeliver" after a failed release) starts nothing:
 * the delivery ids live in the runs' histories, on the Temporal server, so this holds across gateway restarts.
 */
export async function triggerRelease(
  client: Client,
  input: ReleaseInput,
  trigger: ReleaseTrigger,
): Promise<TriggerOutcome> {
  const workflowId = releaseWorkflowId(input.project, input.version);
  const latest = await latestRun(client, workflowId);
  if (latest && latest.status !== 'RUNNING' && latest.status !== 'COMPLETED') {
    const run = client.workflow.getHandle<typeof release>(workflowId, latest.runId);
    if (await receivedTrigger(run, trigger.deliveryId))
      return { handle: run, how: 'delivered-before', runId: latest.runId, runStatus: latest.status };
  }
  return startOrSignal(client, input, trigger, latest?.status);
}

async function startOrSignal(
  client: Client,
  input: ReleaseInput,
  trigger: ReleaseTrigger | undefined,
  knownStatus?: string,
): Promise<StartedRelease> {
  const workflowId = releaseWorkflowId(input.project, input.version);
  const before = knownStatus ?? (await latestRun(client, workflowId))?.status;
  if (before === 'FAILED' && !input.rerelease) {
    const latest = client.workflow.getHandle<typeof release>(workflowId);
    if (await refusedAsReleased(latest)) return { handle: latest, how: 'completed' };
  }
  const options = {
    taskQueue,
    workflowId,
    args: [input] as [ReleaseInput],
    staticSummary: releaseSummary(input),
    // Listed as queued until a worker takes its first workflow task and the workflow moves it on.
    typedSearchAttributes: queuedSearchAttributes(input),
    ...idPolicies(input),
  };
  try {
    // Told by the start itself: of two calls at the same instant (a tag push and its release published), one started.
    const { handle, started } = await startSayingWhether(client, (workflow): Promise<WorkflowHandle<typeof release>> =>
      trigger
        ? workflow.signalWithStart<typeof release, [ReleaseTrigger]>('release', {
            ...options,
            signal: triggerSignal,
            signalArgs: [trigger],
          })
        : workflow.start<typeof release>('release', options),
    );
    return { handle, how: started ? 'started' : 'attached' };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return { handle: client.workflow.getHandle<typeof release>(workflowId), how: 'completed' };
  }
}

/** Whether a run's history holds a `trigger` signal with this delivery id. */
async function receivedTrigger(run: WorkflowHandle, deliveryId: string): Promise<boolean> {
  const history = await run.fetchHistory();
  return (history.events ?? []).some((event) => {
    const signaled = event.workflowExecutionSignaledEventAttributes;
    const payload = signaled?.signalName === triggerSignal.name ? signaled.input?.payloads?.[0] : undefined;
    if (!payload) return false;
    const trigger = defaultPayloadConverter.fromPayload<Partial<ReleaseTrigger> | undefined>(payload);
    return trigger?.deliveryId === deliveryId;
  });
}
