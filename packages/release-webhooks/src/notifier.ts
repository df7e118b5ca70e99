/**
 * The notifier: each receiver of each project reads the project's release events from a durable JetStream consumer
 * of its own and POSTs them one at a time, in the log's order. The consumer keeps the receiver's place and its
 * attempt count across restarts: an event is acked only on a 2xx answer, and a failed one is nak'ed with the
 * schedule's delay, so the redelivery is the retry and nothing after it is sent before it (one in flight at most).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { Webhook } from 'standardwebhooks';
import { eventTypeMatches, type ProjectConfig, type WebhookReceiver } from '@relforge/config';
import { InputError, StackError } from '@relforge/errors';
import { applyEvent, type ReleaseCloudEvent } from '@relforge/release-events';
import { JetStreamEventLog, streamName, subjectToken } from '@relforge/release-events/jetstream';
import { attemptDelivery } from './delivery.js';
import { consumerName, ReceiverRegistry, type ReceiverRef } from './receivers.js';
import { longestWaitMs, retryAfterMs, retryDelayMs } from './schedule.js';

export interface NotifierOptions {
  natsUrl: string;
  namespace: string;
  projects: readonly ProjectConfig[];
  /** Reads a receiver's signing secret; the notifier never prints what it returns. */
  secretOf: (receiver: WebhookReceiver, field: string) => string;
  /** Receivers (`<project>/<receiver>` or `<receiver>`) to enable again before starting, if they were disabled. */
  enable?: readonly string[];
  log: (line: string) => void;
}

/**
 * All of a project's events: its releases' `relforge.<namespace>.<project>.<version>.<entity>` and its trains'
 * `relforge.<namespace>.<project>.<version>.train.<entity>`.
 */
export const projectSubjects = (namespace: string, project: string) =>
  `relforge.${subjectToken(namespace)}.${subjectToken(project)}.>`;

/**
 * An acked message may still be delivered again if the ack was lost; the receiver dedupes by webhook-id. Unacked ones
 * of a killed notifier come back after this: long enough for an attempt and its ack, short for a restart.
 */
const ackWaitMs = (receiver: WebhookReceiver) => (2 * receiver.timeoutSeconds + 5) * 1_000;

/** The signer of a receiver, or an InputError naming the field when its secret is no Standard Webhooks key. */
export function signerOf(secret: string, field: string): Webhook {
  try {
    return new Webhook(secret);
  } catch {
    throw new InputError(`${field}: the secret is not a Standard Webhooks signing key`, {
      fix: 'store a key of the form whsec_<base64 of 24 to 64 random bytes>, e.g. `echo whsec_$(openssl rand -base64 32)`, and give the receiver the same',
    });
  }
}

export class Notifier {
  readonly #options: NotifierOptions;
  readonly #stopping = new AbortController();
  #connection: NatsConnection | undefined;
  #log: JetStreamEventLog | undefined;

  constructor(options: NotifierOptions) {
    this.#options = options;
  }

  /** Delivers until `stop()`; resolves once every receiver's loop has ended. */
  async run(): Promise<void> {
    const { natsUrl, namespace, projects } = this.#options;
    const receivers = projects.flatMap((project) =>
      (project.notify?.webhooks ?? []).map((receiver, index) => ({
        project: project.project,
        receiver,
        signer: signerOf(
          this.#options.secretOf(receiver, `${project.project}: notify.webhooks[${index}].secret`),
          `${project.project}: notify.webhooks[${index}].secret`,
        ),
      })),
    );
    if (receivers.length === 0) {
      throw new InputError('no webhook receivers to deliver to', {
        fix: 'list receivers under notify.webhooks in the project configs given with --config',
      });
    }
    try {
      this.#connection = await connect({
        servers: natsUrl,
        name: 'relforge-notifier',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
    } catch (error) {
      throw new StackError(`could not connect to NATS at ${natsUrl} (${(error as Error).message})`, {
        fix: 'start it (locally: `relforge stack up`), or give --nats-url the server the workers log events to',
        cause: error,
      });
    }
    this.#log = await JetStreamEventLog.connect(natsUrl, { name: 'relforge-notifier-log' });
    await this.#log.ensureStream(namespace);
    const js = jetstream(this.#connection);
    const jsm = await jetstreamManager(this.#connection);
    const registry = await ReceiverRegistry.open(js, jsm, namespace);
    await Promise.all(
      receivers.map(async ({ project, receiver, signer }) => {
        const ref: ReceiverRef = { namespace, project, receiver: receiver.name };
        const label = `${project}/${receiver.name}`;
        if (this.#options.enable?.some((name) => name === label || name === receiver.name)) {
          const record = await registry.enable(ref, streamName(namespace));
          if (record) this.#options.log(`${label}: enabled again, from event ${record.eventId}`);
        }
        const disabled = await registry.disabled(ref);
        if (disabled) {
          this.#options.log(
            `${label}: disabled since ${disabled.at} (${disabled.reason}); not delivering: \`relforge notifier --enable ${label}\` resumes it at ${disabled.eventId}`,
          );
          return;
        }
        const consumer = await this.#consumer(js, jsm, project, receiver);
        await new ReceiverLoop(label, ref, receiver, signer, consumer, registry, js, this.#options.log).run(
          this.#stopping.signal,
        );
      }),
    );
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
  }

  async close(): Promise<void> {
    this.#stopping.abort();
    await this.#log?.close();
    await this.#connection?.drain().catch(() => this.#connection?.close());
  }

  async #consumer(
    js: JetStreamClient,
    jsm: JetStreamManager,
    project: string,
    receiver: WebhookReceiver,
  ): Promise<Consumer> {
    const stream = streamName(this.#options.namespace);
    const name = consumerName(project, receiver.name);
    const settings = {
      ack_wait: ackWaitMs(receiver) * 1_000_000,
      max_ack_pending: 1,
      max_deliver: -1,
      filter_subject: projectSubjects(this.#options.namespace, project),
    };
    const existing = await jsm.consumers.info(stream, name).catch(() => undefined);
    if (existing) await jsm.consumers.update(stream, name, settings);
    else {
      await jsm.consumers.add(stream, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ...settings,
      });
    }
    return js.consumers.get(stream, name);
  }
}

/** One receiver's deliveries, one event at a time. */
class ReceiverLoop {
  /** Per release or train (its subjects), the status after the last event seen: full mode folds each patch onto it. */
  readonly #statuses = new Map<string, { sequence: number; value: unknown }>();

  constructor(
    readonly label: string,
    readonly ref: ReceiverRef,
    readonly receiver: WebhookReceiver,
    readonly signer: Webhook,
    readonly consumer: Consumer,
    readonly registry: ReceiverRegistry,
    readonly js: JetStreamClient,
    readonly log: (line: string) => void,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    let waitingReported = false;
    while (!signal.aborted) {
      let message: JsMsg | null;
      try {
        message = await this.consumer.next({ expires: 2_000 });
        waitingReported = false;
      } catch (error) {
        // NATS restarting, or the consumer's stream not back yet: the connection reconnects by itself.
        if (!waitingReported) this.log(`${this.label}: waiting for NATS (${(error as Error).message})`);
        waitingReported = true;
        await sleep(1_000, undefined, { signal }).catch(() => undefined);
        continue;
      }
      if (!message) continue;
      try {
        if (!(await this.handle(message))) return;
      } catch (error) {
        // NATS went away between the answer and the ack (or the disabling): the unacked event comes again after the
        // ack wait, under the same webhook-id, and the receiver dedupes it.
        this.log(
          `${this.label}: could not record the outcome (${(error as Error).message}); the event will come again`,
        );
      }
    }
  }

  /** False once the receiver is disabled. */
  async handle(message: JsMsg): Promise<boolean> {
    const event = message.json<ReleaseCloudEvent>();
    const attempt = message.info.deliveryCount;
    const wanted = this.receiver.events.some((pattern) => eventTypeMatches(pattern, event.type));
    const body = this.receiver.mode === 'full' ? await this.fullBody(message, event) : JSON.stringify(event);
    if (!wanted) {
      await message.ackAck();
      return true;
    }
    const outcome = await attemptDelivery({
      url: this.receiver.url,
      id: event.id,
      body,
      signer: this.signer,
      timeoutMs: this.receiver.timeoutSeconds * 1_000,
      retryAfterCapMs: longestWaitMs(this.receiver.schedule),
      retryAfter: retryAfterMs,
    });
    const about = `${event.id} (${event.type}), attempt ${attempt}`;
    if (outcome.kind === 'delivered') {
      await message.ackAck();
      this.log(`${this.label}: delivered ${about}: ${outcome.status}`);
      return true;
    }
    if (outcome.kind === 'gone') return this.disable(message, event, attempt, 'answered 410 Gone', about);
    const delay = outcome.retryAfterMs ?? retryDelayMs(this.receiver.schedule, attempt);
    if (delay === undefined) {
      return this.disable(message, event, attempt, `${outcome.reason} on every attempt of the schedule`, about);
    }
    message.nak(delay);
    const asked = outcome.retryAfterMs !== undefined ? ', as its Retry-After asked' : '';
    this.log(`${this.label}: failed ${about}: ${outcome.reason}; retrying in ${formatMs(delay)}${asked}`);
    return true;
  }

  async disable(message: JsMsg, event: ReleaseCloudEvent, attempts: number, reason: string, about: string) {
    await this.registry.disable(this.ref, {
      at: new Date().toISOString(),
      reason,
      eventId: event.id,
      streamSequence: message.seq,
      attempts,
    });
    // Left unacked: the event is where the receiver starts again once enabled. Nak'ed with a long delay, so the
    // consumer does not hand it to anyone meanwhile.
    message.nak(ackWaitMs(this.receiver));
    this.log(`${this.label}: disabled after ${about}: ${reason}`);
    return false;
  }

  /** The event with its data the release's whole status after it, folded from its patches. */
  async fullBody(message: JsMsg, event: ReleaseCloudEvent): Promise<string> {
    const release = message.subject.split('.').slice(0, -1).join('.');
    const before = this.#statuses.get(release);
    const after =
      before?.sequence === event.data.appliesTo
        ? applyEvent(before, event.data)
        : await this.foldFromLog(`${release}.*`, message.seq);
    this.#statuses.set(release, after);
    return JSON.stringify({ ...event, data: { sequence: event.data.sequence, status: after.value } });
  }

  /** The release's status after the message at `streamSequence`, from its first event (after a restart, or a gap). */
  async foldFromLog(subjects: string, streamSequence: number): Promise<{ sequence: number; value: unknown }> {
    const reader = await this.js.consumers.get(streamName(this.ref.namespace), {
      filter_subjects: [subjects],
      deliver_policy: DeliverPolicy.All,
    });
    const messages = await reader.consume();
    let state: { sequence: number; value: unknown } = { sequence: 0, value: undefined };
    try {
      for await (const stored of messages) {
        if (stored.seq > streamSequence) break;
        state = applyEvent(state, stored.json<ReleaseCloudEvent>().data);
        if (stored.seq === streamSequence) break;
      }
    } finally {
      await messages.close().catch(() => undefined);
    }
    return state;
  }
}

function formatMs(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
