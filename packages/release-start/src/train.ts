/**
 * Driving a train from any client — `relforge train`, the gateway's dispatch — by its one workflow id: start it (a
 * second start attaches), read its status once a worker has taken it, and ask it for a step. What the train refuses
 * comes back as a `TrainRefused` with the train's own words; each client decides how to show it.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { InputError, splitFix } from '@relforge/errors';
import {
  nextUpdate,
  promoteUpdate,
  trainStatusQuery,
  trainWorkflowId,
  type StartedBy,
  type TrainInput,
  type TrainStatus,
  type TrainStep,
} from '@relforge/release';
import type { train } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { startSayingWhether } from './started-run.js';

export type TrainHandle = WorkflowHandle<typeof train>;

/** No train of that project and version was ever started. */
export class NoTrain extends InputError {}

/** The train refused: it failed to start (a bad config, an unknown project), is finished, or refused the step. */
export class TrainRefused extends InputError {
  constructor(
    message: string,
    fix: string,
    /** The train's `TrainFailureType`, when the train itself refused. */
    readonly type?: string,
  ) {
    super(message, { fix });
  }
}

export interface TrainWait {
  /** Called once, when a worker has not taken the train's first task after `slowAfterMs` (15 s by default). */
  onSlowWorker?: () => void;
  slowAfterMs?: number;
  /** How long to wait for a worker at most; past it the status is `undefined`. Forever when not given. */
  patienceMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the train, or attaches to it: one train per project and final version. */
export async function startTrain(
  client: Client,
  input: TrainInput,
): Promise<{ handle: TrainHandle; how: 'started' | 'attached' }> {
  const workflowId = trainWorkflowId(input.project, input.version);
  const { handle, started } = await startSayingWhether(client, (workflow) =>
    workflow.start<typeof train>('train', {
      taskQueue,
      workflowId,
      args: [input],
      staticSummary: `train ${input.project} ${input.version}`,
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A train that failed to start (its config was wrong) may start again; a finished one is the version's history.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    }),
  ).catch((error: unknown) => {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw finishedTrain(input.project, input.version);
    throw error;
  });
  return { handle, how: started ? 'started' : 'attached' };
}

/**
 * The train's status; a train that failed to start says why. A train whose first task no worker has run yet answers no
 * query: it is asked again until it does, or until `patienceMs`, when the answer is undefined.
 */
export function trainStatus(
  handle: TrainHandle,
  project: string,
  version: string,
  wait?: Omit<TrainWait, 'patienceMs'>,
): Promise<TrainStatus>;
export function trainStatus(
  handle: TrainHandle,
  project: string,
  version: string,
  wait: TrainWait,
): Promise<TrainStatus | undefined>;
export async function trainStatus(
  handle: TrainHandle,
  project: string,
  version: string,
  wait: TrainWait = {},
): Promise<TrainStatus | undefined> {
  const began = Date.now();
  let warned = false;
  for (;;) {
    try {
      return await handle.query(trainStatusQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        throw new NoTrain(`there is no train ${project} ${version}`, {
          fix: `start it with \`relforge train start ${project} ${version}\``,
        });
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') {
        const waited = Date.now() - began;
        if (wait.patienceMs !== undefined && waited >= wait.patienceMs) return undefined;
        if (!warned && waited >= (wait.slowAfterMs ?? 15_000)) {
          warned = true;
          wait.onSlowWorker?.();
        }
        await sleep(1_000);
        continue;
      }
      const ended = await handle.result().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      if (ended instanceof WorkflowFailedError) {
        // The activity's failure carries its own fix after the message; it is the one to give.
        const { message, fix } = splitFix(ended.cause?.message ?? ended.message);
        throw new TrainRefused(
          message,
          fix ?? `fix the cause, then start the train again: \`relforge train start ${project} ${version}\``,
        );
      }
      throw error;
    }
  }
}

/** A finished train takes nothing more: not a step, and not a second start under its id. */
function finishedTrain(project: string, version: string): TrainRefused {
  return new TrainRefused(
    `train ${project} ${version} is finished: ${version} is released`,
    `see \`relforge train status ${project} ${version}\`; a later version needs a train of its own`,
  );
}

/** What a step asks for: the next prerelease, or a promotion to `channel`; `startedBy` becomes its release's. */
export interface StepRequest {
  channel?: string;
  startedBy?: StartedBy;
}

/**
 * Asks the train for a step and answers once its release has started (the update returns the step; the release runs
 * on). Refused when there is no train, it is finished, or its validator refuses: the train's message names the field.
 */
export async function takeStep(
  handle: TrainHandle,
  project: string,
  version: string,
  request: StepRequest,
  wait: TrainWait = {},
): Promise<TrainStep> {
  const status = await trainStatus(handle, project, version, wait);
  if (!status)
    throw new TrainRefused(
      `train ${project} ${version} waits for a worker to take it, so it cannot take a step yet`,
      'start a worker with `relforge worker` (or `relforge stack up`), then ask again',
    );
  if (status.state === 'finished') throw finishedTrain(project, version);
  const ask = request.startedBy ? { startedBy: request.startedBy } : {};
  const step =
    request.channel === undefined
      ? handle.executeUpdate(nextUpdate, { args: [ask] })
      : handle.executeUpdate(promoteUpdate, { args: [{ channel: request.channel, ...ask }] });
  return step.catch((error: unknown) => {
    const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
    if (!cause) throw error;
    throw new TrainRefused(
      `train ${project} ${version} refused: ${cause.message}`,
      `see \`relforge train status ${project} ${version}\``,
      cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined,
    );
  });
}
