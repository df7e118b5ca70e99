/**
 * Where release events are kept and in what: the stream of a namespace, its subjects (one per release and entity), the
 * settings every writer creates the stream with, and the CloudEvents envelope each event is stored in.
 */
import { DiscardPolicy, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { CloudEvent } from 'cloudevents';
import type { Entity } from '@relforge/release-states';
import {
  eventId,
  eventType,
  sequenceText,
  type ReleaseCloudEvent,
  type ReleaseRef,
  type SequencedEvent,
} from './index.js';

/**
 * A name or version as one subject token, injectively: `.` (a version's separator, never in a token) becomes `_`, and
 * anything outside letters, digits, `-` and `.` — `_` and `%` included — is percent-encoded, so `1.2.3` reads
 * `1_2_3` and no two releases share a subject, even ones whose input is refused.
 */
export function subjectToken(value: string): string {
  return Array.from(value, (char) =>
    /[A-Za-z0-9.-]/.test(char)
      ? char
      : Array.from(
          new TextEncoder().encode(char),
          (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
        ).join(''),
  )
    .join('')
    .replace(/\./g, '_');
}

/** One stream per namespace: `relforge-events-<namespace>`, holding `relforge.<namespace>.>`. */
export const streamName = (namespace: string) => `relforge-events-${subjectToken(namespace)}`;
export const streamSubjects = (namespace: string) => `relforge.${subjectToken(namespace)}.>`;

export type ReleaseKey = Pick<ReleaseRef, 'namespace' | 'project' | 'version' | 'kind'>;

/**
 * `relforge.<namespace>.<project>.<version>.<entity>`; `*` as the entity for all of a release's events. A train's
 * are `relforge.<namespace>.<project>.<version>.train.<entity>`: one token more, so the `*` of its final release
 * (same project and version) never matches them, and `relforge.<namespace>.<project>.>` still holds both.
 */
export function releaseSubject(release: ReleaseKey, entity: Entity | '*'): string {
  const { namespace, project, version } = release;
  const log = `relforge.${subjectToken(namespace)}.${subjectToken(project)}.${subjectToken(version)}`;
  return release.kind === 'train' ? `${log}.train.${entity}` : `${log}.${entity}`;
}

/**
 * How long the stream remembers a `Nats-Msg-Id`. A publish whose ack was lost is retried by Temporal within seconds
 * (backoff up to 30 s) and first reads back what is stored, so ids matter only while two attempts might overlap: an
 * attempt's 10 s timeout and the retry after it fit twice in 2 minutes. Longer costs server memory per event for
 * nothing, since the expected-last-sequence check keeps an append exactly once after the window too.
 */
export const duplicateWindowMs = 2 * 60_000;

/**
 * Events are kept without an age or count limit: a release's snapshot at any sequence is folded from its first event,
 * and a release's log is small (the example's is about 30 kB). An operator who must bound the stream sets `max_age`
 * knowing that releases older than it can no longer be rebuilt from the log.
 */
export function streamConfig(namespace: string): Partial<StreamConfig> & { name: string } {
  return {
    name: streamName(namespace),
    subjects: [streamSubjects(namespace)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
    duplicate_window: duplicateWindowMs * 1_000_000,
    allow_direct: true,
    num_replicas: 1,
  };
}

/** The CloudEvents envelope of one event, validated by the SDK. */
export function cloudEventOf(ref: ReleaseRef, event: SequencedEvent): ReleaseCloudEvent {
  const envelope = new CloudEvent({
    specversion: '1.0',
    id: eventId(ref.workflowId, event.sequence),
    source: ref.workflowId,
    type: eventType(event.entity, event.state),
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    time: event.time,
    datacontenttype: 'application/json',
    sequence: sequenceText(event.sequence),
    runid: ref.runId,
    data: { sequence: event.sequence, appliesTo: event.sequence - 1, patch: event.patch },
  });
  return envelope.toJSON() as unknown as ReleaseCloudEvent;
}
