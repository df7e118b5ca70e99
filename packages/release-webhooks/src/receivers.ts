/**
 * Which receivers are disabled, kept in a JetStream KV bucket so a restarted notifier does not resume one, and the
 * `dev.relforge.receiver.disabled.v1` event each disabling is, in a stream of its own beside the release events (it
 * is no release's event: it has no sequence in one, and readers of a release's subjects must not meet it).
 */
import { AckPolicy, DeliverPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { CloudEvent } from 'cloudevents';
import { subjectToken } from '@relforge/release-events/jetstream';

export const receiverDisabledType = 'dev.relforge.receiver.disabled.v1';

/** `relforge-webhooks-<namespace>`: one key per receiver, `<project>.<receiver>`, present while it is disabled. */
export const disabledBucketName = (namespace: string) => `relforge-webhooks-${subjectToken(namespace)}`;
export const receiverStreamName = (namespace: string) => `relforge-receivers-${subjectToken(namespace)}`;
export const receiverSubject = (namespace: string, project: string, receiver: string) =>
  `relforge-receivers.${subjectToken(namespace)}.${project}.${receiver}`;

/** The durable consumer of one receiver: its place in the project's events survives any restart. */
export const consumerName = (project: string, receiver: string) => `webhook-${project}-${receiver}`;

export interface ReceiverRef {
  namespace: string;
  project: string;
  receiver: string;
}

export interface DisabledRecord {
  at: string;
  reason: string;
  /** The event it was not given: where it starts again once enabled. */
  eventId: string;
  streamSequence: number;
  attempts: number;
}

export class ReceiverRegistry {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #bucket: KV;

  private constructor(js: JetStreamClient, jsm: JetStreamManager, bucket: KV) {
    this.#js = js;
    this.#jsm = jsm;
    this.#bucket = bucket;
  }

  static async open(js: JetStreamClient, jsm: JetStreamManager, namespace: string): Promise<ReceiverRegistry> {
    const bucket = await new Kvm(js).create(disabledBucketName(namespace), { storage: StorageType.File, history: 1 });
    const stream = receiverStreamName(namespace);
    await jsm.streams.info(stream).catch(() =>
      jsm.streams.add({
        name: stream,
        subjects: [`relforge-receivers.${subjectToken(namespace)}.>`],
        storage: StorageType.File,
      }),
    );
    return new ReceiverRegistry(js, jsm, bucket);
  }

  async disabled(ref: ReceiverRef): Promise<DisabledRecord | undefined> {
    const entry = await this.#bucket.get(`${ref.project}.${ref.receiver}`);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return entry.json<DisabledRecord>();
  }

  /**
   * The event first, then the record: a notifier killed between the two finds the receiver enabled and disables it
   * again after its next failure, and the event's id (its stream sequence in the record) dedupes the second.
   */
  async disable(ref: ReceiverRef, record: DisabledRecord): Promise<void> {
    const event = new CloudEvent({
      specversion: '1.0',
      id: `${consumerName(ref.project, ref.receiver)}#disabled#${record.streamSequence}`,
      source: `relforge/notifier/${ref.project}`,
      type: receiverDisabledType,
      subject: ref.receiver,
      time: record.at,
      datacontenttype: 'application/json',
      data: { project: ref.project, receiver: ref.receiver, ...record },
    });
    await this.#js.publish(receiverSubject(ref.namespace, ref.project, ref.receiver), JSON.stringify(event.toJSON()), {
      msgID: event.id,
    });
    await this.#bucket.put(`${ref.project}.${ref.receiver}`, JSON.stringify(record));
  }

  /** The disabling events of a namespace's receivers, oldest first. */
  async disablings(namespace: string): Promise<CloudEvent<DisabledRecord & { project: string; receiver: string }>[]> {
    const stream = receiverStreamName(namespace);
    const { state } = await this.#jsm.streams.info(stream);
    const events = [];
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const message = await this.#jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (message) events.push(message.json<CloudEvent<DisabledRecord & { project: string; receiver: string }>>());
    }
    return events;
  }

  /**
   * Enables a disabled receiver: its consumer is made again at the event it was not given, with no attempts
   * counted, and the record removed. Returns the record, or undefined for a receiver that was not disabled.
   */
  async enable(ref: ReceiverRef, stream: string): Promise<DisabledRecord | undefined> {
    const record = await this.disabled(ref);
    if (!record) return undefined;
    const name = consumerName(ref.project, ref.receiver);
    const existing = await this.#jsm.consumers.info(stream, name).catch(() => undefined);
    if (existing) {
      await this.#jsm.consumers.delete(stream, name);
      await this.#jsm.consumers.add(stream, {
        ...existing.config,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: record.streamSequence,
      });
    }
    await this.#bucket.delete(`${ref.project}.${ref.receiver}`);
    return record;
  }
}
