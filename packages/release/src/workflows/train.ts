/**
 * The train workflow: one per project and final version (`train/<project>/<version>`), holding the sequence of its
 * prereleases and what became of each. `next` and `promote` start one release each, as a child workflow under the
 * release's own id, so every guarantee of a release holds; the train only decides which version comes next and
 * refuses what its config does not allow. It continues as new between steps, carrying its state, so its history
 * stays small over the months a version takes. Its changes are events (`dev.relforge.train.*.v1`, and
 * `dev.relforge.train-step.*.v1` per step) in a log of its own, sent through the release's outbox.
 */
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Entity } from '@relforge/release-events';
import type { ReleaseActivities } from '../activities.js';
import { startedByVia } from '../approval.js';
import { ReleaseFailureType, queuedSearchAttributes, releaseSummary, releaseWorkflowId } from '../shared.js';
import {
  TrainFailureType,
  finalChannel,
  nextUpdate,
  promoteUpdate,
  trainStatusQuery,
  type NextInput,
  type PromoteInput,
  type TrainInput,
  type TrainPlan,
  type TrainStatus,
  type TrainStep,
} from '../train-shared.js';
import type { release } from './release.js';
import { EventOutbox } from './event-outbox.js';
import { retry } from './options.js';
import { messageOf } from './failures.js';

const { prepareTrain } = proxyActivities<ReleaseActivities>({
  startToCloseTimeout: '2 minutes',
  retry,
  summary: "read the project's train config",
});

export async function train(input: TrainInput): Promise<TrainStatus> {
  /*
   * The handlers are there from the first activation: an update that arrives before the config is read would be
   * rejected as unhandled otherwise. Until then it is validated by its handler, once the train knows its channels.
   */
  const started: { run?: TrainRun } = {};
  const whenReady = async () => {
    await condition(() => started.run !== undefined);
    return started.run as TrainRun;
  };
  setHandler(trainStatusQuery, () => {
    if (!started.run)
      throw ApplicationFailure.nonRetryable(`train ${input.project} ${input.version} is reading its config`);
    return started.run.report();
  });
  setHandler(
    nextUpdate,
    async (ask: NextInput | undefined) => {
      const run = await whenReady();
      run.validateNext();
      return run.next(ask);
    },
    {
      validator: (ask: NextInput | undefined) => {
        refuseMalformedAsker(ask);
        started.run?.validateNext();
      },
    },
  );
  setHandler(
    promoteUpdate,
    async (promote) => {
      const run = await whenReady();
      run.validatePromote(promote);
      return run.promote(promote);
    },
    {
      validator: (promote) => {
        refuseMalformedAsker(promote);
        started.run?.validatePromote(promote);
      },
    },
  );
  // Runs recorded before trains logged events replay without a single event step.
  const events = patched('train-events') ? new EventOutbox({ ...input, kind: 'train' }) : undefined;
  const status = input.carried ? carriedOver(input.carried) : await startingStatus(input);
  const run = new TrainRun(status, events);
  started.run = run;
  run.showDetails();
  for (;;) {
    await condition(() => run.child !== undefined || run.finished || run.shouldContinueAsNew());
    const { child } = run;
    if (child) {
      await run.follow(child);
      continue;
    }
    // Between steps only: no release is followed across runs, no update is cut off half-way, no event left unsent.
    await condition(() => allHandlersFinished() && run.eventsSent);
    if (run.finished) return run.report();
    if (run.child === undefined)
      return continueAsNew<typeof train>({ project: input.project, version: input.version, carried: run.report() });
  }
}

async function startingStatus(input: TrainInput): Promise<TrainStatus> {
  let plan: TrainPlan;
  try {
    plan = await prepareTrain({
      project: input.project,
      version: input.version,
      ...(input.channel ? { channel: input.channel } : {}),
    });
  } catch (error) {
    throw ApplicationFailure.create({
      message: `train ${input.project} ${input.version} refused: ${messageOf(error)}`,
      type: TrainFailureType.InputError,
      nonRetryable: true,
    });
  }
  return {
    project: input.project,
    version: input.version,
    state: 'open',
    channel: input.channel ?? plan.channels[0] ?? finalChannel,
    plan,
    steps: [],
    finalWaitsFor: [],
    runs: 1,
  };
}

function carriedOver(carried: TrainStatus): TrainStatus {
  return { ...carried, runs: carried.runs + 1 };
}

class TrainRun {
  /** The release being followed, while one runs. */
  child: ChildWorkflowHandle<typeof release> | undefined;
  #stepsThisRun = 0;
  readonly #events: EventOutbox | undefined;

  constructor(
    private readonly status: TrainStatus,
    events?: EventOutbox,
  ) {
    this.#events = events;
    // Each run's first event is the whole status: a receiver may start at any run.
    this.#record('train', status.state);
  }

  get eventsSent(): boolean {
    return this.#events?.sent ?? true;
  }

  get finished(): boolean {
    return this.status.state === 'finished';
  }

  shouldContinueAsNew(): boolean {
    return this.#stepsThisRun >= this.status.plan.stepsPerRun || workflowInfo().continueAsNewSuggested;
  }

  /** The status as queries read it: a query has no clock of its own, so the soak is a time, not a time left. */
  report(): TrainStatus {
    const soakUntil = this.soakUntil();
    return {
      ...this.status,
      finalWaitsFor: this.finalWaitsFor(),
      ...(soakUntil === undefined ? {} : { soakUntil: new Date(soakUntil).toISOString() }),
    };
  }

  validateNext(): void {
    this.refuseWhileBusy();
    if (this.status.channel === finalChannel)
      throw refusal(
        TrainFailureType.InvalidChannel,
        `channel: the train is on final already; run \`relforge train promote ${this.status.project} ${this.status.version} final\` to try the final again`,
      );
  }

  validatePromote(promote: PromoteInput | undefined): void {
    this.refuseWhileBusy();
    const { channels } = this.status.plan;
    const channel = promote?.channel;
    const known = [...channels, finalChannel];
    if (typeof channel !== 'string' || !known.includes(channel))
      throw refusal(
        TrainFailureType.InvalidChannel,
        `channel: ${JSON.stringify(channel)} is not a channel of this train; expected one of ${known.join(', ')}`,
      );
    const current = known.indexOf(this.status.channel);
    const wanted = known.indexOf(channel);
    // The final may be asked for again after a final that failed; any other channel only forward.
    if (wanted < current || (wanted === current && channel !== finalChannel))
      throw refusal(
        TrainFailureType.InvalidChannel,
        `channel: the train is on ${this.status.channel}; it only moves forward (${known.slice(current + 1).join(', ')}), never back to ${channel}`,
      );
    if (channel !== finalChannel) return;
    const waits = this.finalWaitsFor();
    // A validator runs in an activation of its own: its workflow time is the time the update arrived.
    const soakLeft = (this.soakUntil() ?? 0) - Date.now();
    if (soakLeft > 0) {
      const { plan } = this.status;
      const last = this.lastPrerelease();
      waits.push(
        `the soak time: ${spelled(soakLeft)} left of train.soak ${plan.soak ?? `${plan.soakMs} ms`} since ${last?.version ?? 'the last prerelease'} was released`,
      );
    }
    if (waits.length > 0)
      throw refusal(TrainFailureType.FinalNotReady, `final: not yet, it waits for ${waits.join('; ')}`);
  }

  /** The next prerelease of the current channel. */
  next(ask: NextInput | undefined): Promise<TrainStep> {
    return this.begin(this.status.channel, ask?.startedBy);
  }

  /** A later channel's first prerelease, or the final release. */
  promote(promote: PromoteInput): Promise<TrainStep> {
    return this.begin(promote.channel, promote.startedBy);
  }

  /** Waits for the release that runs and records how it ended. */
  async follow(child: ChildWorkflowHandle<typeof release>): Promise<void> {
    const step = this.status.steps.at(-1);
    if (!step) throw new Error('a release is followed before its step was recorded');
    try {
      await child.result();
      step.outcome = 'released';
    } catch (error) {
      if (!(error instanceof ChildWorkflowFailure)) throw error;
      const cause = error.cause;
      const already = cause instanceof ApplicationFailure && cause.type === ReleaseFailureType.AlreadyReleased;
      step.outcome = already ? 'taken' : 'failed';
      step.error = messageOf(error);
    }
    this.end(step);
  }

  showDetails(): void {
    const { project, version, channel, steps, state } = this.status;
    const last = steps.at(-1);
    const lines = [
      state === 'finished'
        ? `Train ${project} ${version} finished: ${version} released.`
        : `Train ${project} ${version} on **${channel}**${last ? `; last: ${last.version} ${last.outcome}` : ''}.`,
    ];
    const waits = this.finalWaitsFor();
    const soakUntil = this.soakUntil();
    if (soakUntil !== undefined) waits.push(`the soak time, until ${new Date(soakUntil).toISOString()}`);
    if (state !== 'finished' && waits.length > 0) lines.push('', `The final waits for ${waits.join('; ')}.`);
    setCurrentDetails(lines.join('\n'));
  }

  private async begin(channel: string, startedBy: NextInput['startedBy']): Promise<TrainStep> {
    const { project, version } = this.status;
    const isFinal = channel === finalChannel;
    const released = this.status.steps.filter(
      (step) => step.channel === channel && (step.outcome === 'released' || step.outcome === 'taken'),
    ).length;
    const stepVersion = isFinal ? version : `${version}-${channel}.${released + 1}`;
    const step: TrainStep = {
      version: stepVersion,
      channel,
      workflowId: releaseWorkflowId(project, stepVersion),
      startedAt: new Date().toISOString(),
      outcome: 'running',
      ...(startedBy ? { startedBy } : {}),
    };
    // Recorded before the first await, so a second update's validator already sees a step running.
    this.status.steps.push(step);
    this.#record('train-step', step.outcome, step.version);
    this.status.channel = channel;
    this.status.state = 'running';
    this.#record('train', 'running');
    this.#stepsThisRun++;
    this.showDetails();
    // Who asked for the step started its release: its approval gate refuses that person's own approval.
    const releaseInput = { project, version: stepVersion, ...(startedBy ? { startedBy } : {}) };
    try {
      this.child = await startChild<typeof release>('release', {
        workflowId: step.workflowId,
        args: [releaseInput],
        // A release outlives its train's run: the train continues as new between steps, never during one.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A release that ran before and failed may run again; one that is running or released is never run twice.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        staticSummary: releaseSummary(releaseInput),
        typedSearchAttributes: queuedSearchAttributes(releaseInput),
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      // Started outside the train (by hand, by a webhook): the version is taken; the train leaves it and moves on.
      step.outcome = 'taken';
      step.error = `${step.workflowId} exists already (running or released outside the train); see \`relforge status ${project} ${stepVersion}\``;
      this.end(step);
    }
    return { ...step };
  }

  private end(step: TrainStep): void {
    step.finishedAt = new Date().toISOString();
    this.#record('train-step', step.outcome, step.version);
    this.child = undefined;
    this.status.state = step.channel === finalChannel && step.outcome === 'released' ? 'finished' : 'open';
    this.#record('train', this.status.state);
    this.showDetails();
  }

  /** The event of `entity` entering `state`: a patch of the status as queries read it. */
  #record(entity: Entity, state: string, subject?: string): void {
    this.#events?.record(entity, state, subject, this.report());
  }

  private refuseWhileBusy(): void {
    const { project, version } = this.status;
    if (this.finished)
      throw refusal(TrainFailureType.TrainFinished, `train ${project} ${version} is finished: ${version} is released`);
    const running = this.status.steps.find((step) => step.outcome === 'running');
    if (running)
      throw refusal(
        TrainFailureType.StepRunning,
        `${running.version} is still running; wait for it (\`relforge status ${project} ${running.version}\`), then ask again`,
      );
  }

  /** What `promote final` waits for, in words; empty when it would start the final now. */
  private finalWaitsFor(): string[] {
    if (this.finished) return [];
    const { plan, steps } = this.status;
    const waits: string[] = [];
    const running = steps.find((step) => step.outcome === 'running');
    if (running) waits.push(`${running.version} to finish`);
    if (plan.requireRc && !steps.some((step) => step.channel === 'rc' && step.outcome === 'released'))
      waits.push('an rc prerelease (train.requireRc is true)');
    return waits;
  }

  private lastPrerelease(): TrainStep | undefined {
    return this.status.steps.filter((step) => step.channel !== finalChannel && step.outcome === 'released').at(-1);
  }

  /** When the soak time since the last released prerelease ends, in ms; undefined without a soak or a prerelease. */
  private soakUntil(): number | undefined {
    const finishedAt = this.lastPrerelease()?.finishedAt;
    if (this.status.plan.soakMs <= 0 || !finishedAt || this.finished) return undefined;
    return Date.parse(finishedAt) + this.status.plan.soakMs;
  }
}

/** A `startedBy` the release could not hold its approval rule to: refused before the step is recorded. */
function refuseMalformedAsker(ask: NextInput | undefined): void {
  const startedBy: unknown = ask?.startedBy;
  if (startedBy === undefined) return;
  const { login, via } = (typeof startedBy === 'object' && startedBy !== null ? startedBy : {}) as Record<
    string,
    unknown
  >;
  if (typeof login !== 'string' || login === '' || !(startedByVia as readonly string[]).includes(String(via)))
    throw refusal(
      TrainFailureType.InputError,
      'startedBy: expected {"login": "<GitHub login>", "via": "cli", "gateway" or "github"}',
    );
}

function refusal(type: TrainFailureType, message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

/** "2h 5m", "42s": a time left as people read it, rounded up to the second. */
function spelled(ms: number): string {
  let seconds = Math.ceil(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}
