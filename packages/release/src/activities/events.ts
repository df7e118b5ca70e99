/**
 * The steps that carry a release's (or a train's) events out of the workflow: one claims the run's first sequence
 * number in its log, the other appends what follows. Both are idempotent (the log skips what an earlier attempt stored),
 * so Temporal may retry them for as long as the log is unreachable.
 */
import { Context } from '@temporalio/activity';
import type { EventLogKind, RecordedEvent, ReleaseRef, SequencedEvent } from '@relforge/release-events';
import type { ReleaseServices } from './services.js';

export interface EventLogInput {
  project: string;
  version: string;
  /** Absent for a release (every run recorded before trains logged events sends none). */
  kind?: EventLogKind;
}

export type OpenedEventLog = { sequence: number } | { off: string };

function releaseRef(input: EventLogInput): ReleaseRef {
  const { info } = Context.current();
  if (!info.workflowExecution) throw new Error('the event steps run only as activities of a release or train workflow');
  const { workflowId, runId } = info.workflowExecution;
  const { project, version, kind } = input;
  return { namespace: info.namespace, workflowId, runId, project, version, ...(kind ? { kind } : {}) };
}

/**
 * Stores the run's first event and returns its sequence number, or says the run logs nothing: the worker that took
 * this step has no event log, and the answer is kept in history, so a release has its whole log or none of it.
 */
export async function openEventLog(
  services: ReleaseServices,
  input: EventLogInput & { first: RecordedEvent },
): Promise<OpenedEventLog> {
  if (!services.events) return { off: 'the worker that opened the log has none (RELFORGE_NATS_URL is not set)' };
  return { sequence: await services.events.claim(releaseRef(input), input.first) };
}

export async function publishEvents(
  services: ReleaseServices,
  input: EventLogInput & { events: SequencedEvent[] },
): Promise<{ stored: number }> {
  if (!services.events) {
    // Retried, so that a worker with the log takes it: the run's log was opened by one.
    throw new Error('this worker has no event log (RELFORGE_NATS_URL is not set), and this release logs its events');
  }
  return { stored: await services.events.append(releaseRef(input), input.events) };
}
