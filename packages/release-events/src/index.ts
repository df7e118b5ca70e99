/**
 * A release's events, as the workflow records them and receivers read them: each a change of state of the release, a
 * stage, a build or an artifact, numbered per release, carrying an RFC 6902 patch of the release's status against
 * the event before it. A prerelease train logs its own the same way, with its status and steps, in a log of its own.
 * Workflow-safe (no I/O); `@relforge/release-events/jetstream` stores and reads them.
 */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { machines, type Entity } from '@relforge/release-states';

export type { Operation };
export type { Entity };

/** `dev.relforge.stage.succeeded.v1`: the entity that changed and the state it entered. */
export function eventType(entity: Entity, state: string): string {
  return `dev.relforge.${entity}.${state}.v1`;
}

/** Every event type a release or a train can produce: one per state of each machine, in the machines' order. */
export function releaseEventTypes(): string[] {
  return machines.flatMap((machine) => Object.keys(machine.next).map((state) => eventType(machine.entity, state)));
}

const entities = new Set<string>(machines.map((machine) => machine.entity));

/** The entity and state an event type names, or undefined for a type that is not Relforge's. */
export function parseEventType(type: string): { entity: Entity; state: string } | undefined {
  const match = /^dev\.relforge\.([a-z-]+)\.([a-z-]+)\.v1$/.exec(type);
  return match && entities.has(match[1] as string)
    ? { entity: match[1] as Entity, state: match[2] as string }
    : undefined;
}

/**
 * Whose log an event is in: a release's (`release/<project>/<version>`), or a train's (`train/<project>/<version>`),
 * kept apart because a train and its final release share their project and version.
 */
export type EventLogKind = 'release' | 'train';

/** A change the workflow recorded, before the log gave it its number. */
export interface RecordedEvent {
  entity: Entity;
  /** The state entered. */
  state: string;
  /** Which stage, build (`bookworm/arm64`) or artifact (its file name); absent for the release itself. */
  subject?: string;
  /** Workflow time of the change. */
  time: string;
  /** The status before it → the status after it. */
  patch: Operation[];
}

export interface SequencedEvent extends RecordedEvent {
  /** 1, 2, 3, … per release, across all its runs: never repeated, never going back. */
  sequence: number;
}

/** The release (or train) an event belongs to: where it is logged, and the run that emitted it. */
export interface ReleaseRef {
  namespace: string;
  workflowId: string;
  runId: string;
  project: string;
  version: string;
  /** A release's log unless told. */
  kind?: EventLogKind;
}

/** The `data` of every event: the patch and the sequence number of the state it applies to. */
export interface ReleaseEventData {
  sequence: number;
  /** The event whose state this patch applies to: always `sequence - 1`; 0 is the empty document. */
  appliesTo: number;
  patch: Operation[];
}

/** A release event as it is stored and delivered: CloudEvents 1.0, structured JSON. */
export interface ReleaseCloudEvent {
  specversion: '1.0';
  /** Stable per release and sequence (`release/hello/1.2.3#7`): also the JetStream `Nats-Msg-Id`, so a retried emission dedupes. */
  id: string;
  /** The release's workflow id. */
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  /** The CloudEvents sequence extension: the sequence number zero-padded, so strings sort as numbers do. */
  sequence: string;
  /** The workflow run that emitted it: a new run after a lost one continues the numbering with its own id. */
  runid: string;
  data: ReleaseEventData;
}

export const eventId = (workflowId: string, sequence: number) => `${workflowId}#${sequence}`;

/** Ten digits: a release would need ten billion events to outgrow the padding. */
export const sequenceText = (sequence: number) => String(sequence).padStart(10, '0');

/** The patch from one JSON state to the next; both must be plain JSON (what the status query returns). */
export function patchBetween(before: unknown, after: unknown): Operation[] {
  return jsonpatch.compare(before as object, after as object);
}

/**
 * The first event of every run replaces the whole document: a new run after a lost one does not know what the lost
 * run's last event said, and a receiver that starts there gets a full snapshot.
 */
export const wholeDocument = (value: unknown): Operation[] => [{ op: 'replace', path: '', value }];

export class EventOrderError extends Error {
  override readonly name = 'EventOrderError';
}

/**
 * The state after `event`, given the state after the event before it. Refuses an event that does not apply to that
 * state (a gap or a repeat), so a receiver never folds a patch onto the wrong document.
 */
export function applyEvent<T>(
  state: { sequence: number; value: T },
  event: ReleaseEventData,
): { sequence: number; value: T } {
  if (event.appliesTo !== state.sequence) {
    throw new EventOrderError(
      `event ${event.sequence} applies to the state at ${event.appliesTo}, not the one at ${state.sequence}: fetch the snapshot at ${event.appliesTo}`,
    );
  }
  const { newDocument } = jsonpatch.applyPatch(structuredCopy(state.value), event.patch, true, false);
  return { sequence: event.sequence, value: newDocument as T };
}

/** The state after each of `events` in turn, from the empty document: a snapshot at the last one's sequence. */
export function replay<T>(events: Iterable<ReleaseEventData>): { sequence: number; value: T | undefined } {
  let state: { sequence: number; value: T | undefined } = { sequence: 0, value: undefined };
  for (const event of events) state = applyEvent(state, event);
  return state;
}

function structuredCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
