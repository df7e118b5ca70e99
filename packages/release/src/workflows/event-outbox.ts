/**
 * A release's (or a train's) events on their way out of the workflow: recorded in order as its state changes, each a patch of the
 * status against the one before, numbered once the log has given the run its first number, and sent by one activity at
 * a time in that order. Nothing waits for them but the end of the run, so the stages are never slowed by the log.
 */
import { ActivityFailure, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import {
  patchBetween,
  wholeDocument,
  type Entity,
  type EventLogKind,
  type RecordedEvent,
  type SequencedEvent,
} from '@relforge/release-events';
import type { ReleaseActivities } from '../activities.js';

/**
 * Short attempts, retried without end (no maximumAttempts): a log that is down for a while (NATS restarted) is waited
 * for, since a release's events are not dropped; the appends are idempotent, so a retry never stores one twice.
 */
const eventSteps = (summary: string) =>
  proxyActivities<ReleaseActivities>({
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
    summary,
  });
const { openEventLog } = eventSteps('open the release event log in JetStream');

/** Events per append: keeps each activity's input far below Temporal's payload limit, even for 400 artifacts at once. */
const batchLimit = 100;

export class EventOutbox {
  readonly #release: { project: string; version: string; kind?: EventLogKind };
  readonly #pending: RecordedEvent[] = [];
  /** The status as of the last recorded event, as JSON: what the next patch is computed against. */
  #last: unknown;
  /** The number of the next event sent; known once the log has numbered the run's first. */
  #next: number | undefined;
  #off = false;
  #sending: Promise<void> | undefined;

  constructor(release: { project: string; version: string; kind?: EventLogKind }) {
    const { project, version, kind } = release;
    this.#release = { project, version, ...(kind ? { kind } : {}) };
  }

  /** Records that `entity` entered `state`, with the status as it is now. */
  record(entity: Entity, state: string, subject: string | undefined, status: unknown): void {
    if (this.#off) return;
    const snapshot: unknown = JSON.parse(JSON.stringify(status));
    const first = this.#last === undefined;
    this.#pending.push({
      entity,
      state,
      ...(subject === undefined ? {} : { subject }),
      // A run's first event is dated by its start event (`startTime`: this run's, continued as new or not; a release's
      // queueing happened then). Not `runStartTime`, which is its first workflow task's, later.
      time: (first ? workflowInfo().startTime : new Date()).toISOString(),
      patch: first ? wholeDocument(snapshot) : patchBetween(this.#last, snapshot),
    });
    this.#last = snapshot;
    if (!this.#sending) this.#sending = this.#send();
  }

  /** Resolves once every event recorded so far is in the log (or the log is off). */
  async flushed(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  /** Whether every event recorded so far is in the log (or the log is off): for a `condition`. */
  get sent(): boolean {
    return this.#sending === undefined;
  }

  async #send(): Promise<void> {
    try {
      if (this.#next === undefined) {
        const first = this.#pending.shift() as RecordedEvent;
        const opened = await openEventLog({ ...this.#release, first });
        if ('off' in opened) return this.#stop(`events are off for this run: ${opened.off}`, 'info');
        this.#next = opened.sequence + 1;
      }
      while (this.#pending.length > 0) {
        const events = this.#pending.splice(0, batchLimit).map((event): SequencedEvent => {
          const sequence = this.#next as number;
          this.#next = sequence + 1;
          return { ...event, sequence };
        });
        const { publishEvents } = eventSteps(
          `send events ${events[0]?.sequence}..${events.at(-1)?.sequence} to JetStream`,
        );
        await publishEvents({ ...this.#release, events });
      }
    } catch (error) {
      // A bug of the workflow's own fails its task, like an illegal transition.
      if (!(error instanceof ActivityFailure)) throw error;
      // Only what no retry fixes gets here (another run writes the log now): the release goes on without its events.
      this.#stop(`the event log refused this run's events: ${error.cause?.message ?? error.message}`);
    } finally {
      // Cleared in the same step as the last look at the queue, so an event recorded after it starts a new send.
      this.#sending = undefined;
    }
  }

  #stop(reason: string, level: 'info' | 'warn' = 'warn'): void {
    this.#off = true;
    this.#pending.length = 0;
    log[level](reason);
  }
}
