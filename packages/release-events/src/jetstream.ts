/**
 * The durable log of release events: a JetStream stream per Temporal namespace, a subject per release and entity.
 * Appends are exactly once per sequence number — each publish expects the release's last stored message (so a stale
 * or concurrent writer is refused) and carries the event's id as `Nats-Msg-Id` (so a retried publish dedupes) — and
 * reads return a release's events in sequence order, to fold into a snapshot at any sequence.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  JetStreamError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
} from '@nats-io/jetstream';
import { RelforgeError, StackError } from '@relforge/errors';
import { replay, type RecordedEvent, type ReleaseCloudEvent, type ReleaseRef, type SequencedEvent } from './index.js';
import { Follower, LiveFeed, type StoredEvent } from './live-feed.js';

export { FollowerBehindError, type StoredEvent } from './live-feed.js';
export {
  cloudEventOf,
  duplicateWindowMs,
  releaseSubject,
  streamName,
  streamSubjects,
  subjectToken,
  type ReleaseKey,
} from './stream.js';
import { cloudEventOf, releaseSubject, streamConfig, streamName, streamSubjects, type ReleaseKey } from './stream.js';

/** A log that no retry can put right: another run writes it now, or events before these were never stored. */
export class EventLogConflictError extends RelforgeError {}

const publishTimeoutMs = 5_000;

/**
 * How many messages one direct get asks for: a release's whole log (a few hundred events) comes in one answer, and a
 * namespace's replay in answers of about a megabyte, which the server sends without holding anything for the reader.
 */
const directBatch = 1_000;

interface Session {
  connection: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

const natsOptions = (url: string, name: string) => ({
  servers: url,
  name,
  // Once connected, a client keeps reconnecting for as long as it is open: a restarted server is found again.
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
});

async function session(connection: NatsConnection): Promise<Session> {
  return {
    connection,
    js: jetstream(connection),
    jsm: await jetstreamManager(connection, { timeout: publishTimeoutMs }),
  };
}

export class JetStreamEventLog {
  readonly url: string;
  readonly #session: Promise<Session>;
  #connected: Session | undefined;
  #closed = false;
  readonly #closing = new AbortController();
  readonly #ensured = new Set<string>();
  readonly #feeds = new Map<string, LiveFeed>();

  private constructor(url: string, dial: (log: JetStreamEventLog) => Promise<Session>) {
    this.url = url;
    this.#session = dial(this).then((connected) => (this.#connected = connected));
    // Awaited by every call; a log closed before it ever connected has nothing to report.
    this.#session.catch(() => undefined);
  }

  /** Connects to the NATS server at `url` now, or fails saying how to reach one: for a client that reads. */
  static async connect(url: string, options: { name: string }): Promise<JetStreamEventLog> {
    const log = new JetStreamEventLog(url, async () => {
      try {
        return await session(await connect(natsOptions(url, options.name)));
      } catch (error) {
        throw new StackError(`could not connect to NATS at ${url} (${(error as Error).message})`, {
          fix: 'start it (locally: `relforge stack up`), or set RELFORGE_NATS_URL to the NATS server with JetStream',
          cause: error,
        });
      }
    });
    await log.#session;
    return log;
  }

  /**
   * A worker's log: returned at once, connecting in the background and trying again every second while the server
   * is down, so a worker starts without its NATS (the event steps wait, time out and are retried meanwhile).
   * `onWaiting` hears once that the server does not answer.
   */
  static open(url: string, options: { name: string; onWaiting?: (reason: string) => void }): JetStreamEventLog {
    return new JetStreamEventLog(url, async (log) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await session(await connect(natsOptions(url, options.name)));
        } catch (error) {
          if (log.#closed) throw error;
          if (attempt === 0) options.onWaiting?.((error as Error).message);
          await sleep(1_000, undefined, { signal: log.#closing.signal }).catch(() => undefined);
        }
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    await Promise.all([...this.#feeds.values()].map((feed) => feed.close()));
    const connected = this.#connected;
    if (connected) await connected.connection.drain().catch(() => connected.connection.close());
  }

  /** Creates the namespace's stream unless it exists; safe on every start and from several workers at once. */
  async ensureStream(namespace: string): Promise<void> {
    const name = streamName(namespace);
    if (this.#ensured.has(name)) return;
    const { jsm } = await this.#session;
    try {
      await jsm.streams.info(name);
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
      await jsm.streams.add(streamConfig(namespace)).catch(async (added: unknown) => {
        // Another worker created it between the look and the add: what counts is that it exists.
        await jsm.streams.info(name).catch(() => {
          throw added;
        });
      });
    }
    this.#ensured.add(name);
  }

  /** The last event stored for the release, of any entity, or undefined for a release with no event yet. */
  async lastEvent(release: ReleaseKey): Promise<StoredEvent | undefined> {
    const { jsm } = await this.#session;
    const stored = await jsm.streams
      .getMessage(streamName(release.namespace), { last_by_subj: releaseSubject(release, '*') })
      .catch((error: unknown) => {
        if (isApiError(error, JetStreamApiCodes.StreamNotFound)) return null;
        throw error;
      });
    return stored ? { streamSequence: stored.seq, event: stored.json<ReleaseCloudEvent>() } : undefined;
  }

  /**
   * Stores the first event of a run at the release's next sequence number and returns that number: 1 for a new
   * release, one past the last event of a lost run for the run that replaces it. Idempotent: an attempt that finds
   * its own run's event last returns its number (the run appends nothing else before this returns).
   */
  async claim(ref: ReleaseRef, first: RecordedEvent): Promise<number> {
    await this.ensureStream(ref.namespace);
    const last = await this.lastEvent(ref);
    if (last?.event.runid === ref.runId) return last.event.data.sequence;
    const sequence = (last?.event.data.sequence ?? 0) + 1;
    await this.#publish(ref, { ...first, sequence }, last?.streamSequence ?? 0);
    return sequence;
  }

  /**
   * Appends the events, which follow the last stored one of this run; those stored already (by an attempt whose ack
   * was lost) are skipped. Returns how many were stored now.
   */
  async append(ref: ReleaseRef, events: SequencedEvent[]): Promise<number> {
    await this.ensureStream(ref.namespace);
    const last = await this.lastEvent(ref);
    const release = `${ref.kind ?? 'release'} ${ref.project} ${ref.version}`;
    if (!last) {
      throw new EventLogConflictError(`the event log of ${release} is empty, but run ${ref.runId} claimed its start`, {
        fix: `the stream ${streamName(ref.namespace)} was deleted or purged on ${this.url}; the events before it are lost`,
      });
    }
    if (last.event.runid !== ref.runId) {
      throw new EventLogConflictError(
        `run ${ref.runId} of ${release} no longer writes its event log: run ${last.event.runid} stored event ${last.event.data.sequence} after it`,
        { fix: 'nothing to do: only the latest run of a release writes its events' },
      );
    }
    let expected = last.streamSequence;
    let stored = last.event.data.sequence;
    let appended = 0;
    for (const event of events) {
      if (event.sequence <= stored) continue;
      if (event.sequence !== stored + 1) {
        throw new EventLogConflictError(
          `${release}: event ${event.sequence} would follow event ${stored} in its log, leaving a gap`,
          { fix: 'this is a bug in Relforge: file it with the release and the stream' },
        );
      }
      expected = await this.#publish(ref, event, expected);
      stored = event.sequence;
      appended++;
    }
    return appended;
  }

  async #publish(ref: ReleaseRef, event: SequencedEvent, expectedLast: number): Promise<number> {
    const envelope = cloudEventOf(ref, event);
    const meta = headers();
    meta.set('Content-Type', 'application/cloudevents+json');
    const { js } = await this.#session;
    const ack = await js.publish(releaseSubject(ref, event.entity), JSON.stringify(envelope), {
      msgID: envelope.id,
      headers: meta,
      timeout: publishTimeoutMs,
      expect: { lastSubjectSequence: expectedLast, lastSubjectSequenceSubject: releaseSubject(ref, '*') },
    });
    return ack.seq;
  }

  /**
   * The release's events in sequence order, from sequence `from` (default 1). Without `follow` it ends at the last
   * event stored when it was called; with it, it waits for more until `signal` aborts, or until it has caught up with
   * the log on an event `until` accepts (an event followed by others already stored does not end it).
   */
  async *read(
    release: ReleaseKey,
    options: {
      from?: number;
      follow?: boolean;
      signal?: AbortSignal;
      until?: (event: ReleaseCloudEvent) => boolean;
    } = {},
  ): AsyncGenerator<ReleaseCloudEvent> {
    const from = options.from ?? 1;
    if (!options.follow) {
      const last = await this.lastEvent(release);
      if (!last) return;
      const stored = this.#stored(streamName(release.namespace), releaseSubject(release, '*'), 1, last.streamSequence);
      for await (const message of stored) {
        if (options.signal?.aborted) return;
        const event = message.json<ReleaseCloudEvent>();
        if (event.data.sequence >= from) yield event;
      }
      return;
    }
    const stop = new AbortController();
    const abort = () => stop.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) abort();
    try {
      for await (const { event, streamSequence } of this.follow(release.namespace, {
        from: 1,
        release,
        signal: stop.signal,
      })) {
        if (event.data.sequence >= from) yield event;
        if (options.until?.(event) && ((await this.lastEvent(release))?.streamSequence ?? 0) <= streamSequence) return;
      }
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
  }

  /** The namespace's stream sequence of its last stored event, of any release: 0 while it holds none. */
  async lastStreamSequence(namespace: string): Promise<number> {
    const { jsm } = await this.#session;
    try {
      return (await jsm.streams.info(streamName(namespace))).state.last_seq;
    } catch (error) {
      if (isApiError(error, JetStreamApiCodes.StreamNotFound)) return 0;
      throw error;
    }
  }

  /**
   * Every event of the namespace, or of one release, from stream sequence `from` on, then each one as it is stored,
   * until `signal` aborts: what a receiver that resumes by stream sequence reads (the gateway's WebSocket). Each comes
   * with its stream sequence and the time the stream stored it. The stored ones are read by direct get and the live
   * ones come from the namespace's one shared feed, so a follower holds no consumer of its own on the server.
   */
  async *follow(
    namespace: string,
    options: { from: number; release?: ReleaseKey; signal: AbortSignal },
  ): AsyncGenerator<StoredEvent & { storedAt: number }> {
    await this.ensureStream(namespace);
    const subject = options.release ? releaseSubject(options.release, '*') : streamSubjects(namespace);
    const follower = new Follower(subject, options.signal);
    const feed = this.#feed(namespace);
    // Joined before the replay: whatever the replay's last read misses was stored after, and the feed delivers it.
    await feed.join(follower);
    try {
      let next = options.from;
      for await (const message of this.#stored(streamName(namespace), subject, options.from)) {
        if (options.signal.aborted) return;
        next = message.seq + 1;
        yield {
          streamSequence: message.seq,
          event: message.json<ReleaseCloudEvent>(),
          storedAt: message.time.getTime(),
        };
      }
      for (;;) {
        const live = await follower.next();
        if (!live) return;
        // The replay and the feed overlap: what the replay yielded already is dropped by its stream sequence.
        if (live.streamSequence < next) continue;
        next = live.streamSequence + 1;
        yield live;
      }
    } finally {
      feed.leave(follower);
    }
  }

  #feed(namespace: string): LiveFeed {
    const name = streamName(namespace);
    let feed = this.#feeds.get(name);
    if (!feed) {
      feed = new LiveFeed(
        async () => (await this.#session).js,
        name,
        streamSubjects(namespace),
        () => this.lastStreamSequence(namespace),
      );
      this.#feeds.set(name, feed);
    }
    return feed;
  }

  /**
   * The stream's messages on `subject` from stream sequence `from` to `upTo` (default: the last stored), in order, by
   * batched direct gets: the stream answers them itself (`allow_direct`), so a read leaves no consumer behind.
   */
  async *#stored(stream: string, subject: string, from: number, upTo = Infinity): AsyncGenerator<StoredMsg> {
    const { jsm } = await this.#session;
    let next = from;
    while (next <= upTo) {
      const batch = await jsm.direct.getBatch(stream, { seq: next, next_by_subj: subject, batch: directBatch });
      let more = false;
      try {
        for await (const message of batch) {
          if (message.seq > upTo) return;
          next = message.seq + 1;
          // How many more on the subject the stream held when it answered: 0 ends the read with no further ask.
          more = message.pending > 0;
          yield message;
        }
      } catch (error) {
        // The stream answers "not found" for a batch past the subject's last message.
        if (error instanceof JetStreamError && (error as JetStreamError & { code?: number }).code === 404) return;
        throw error;
      }
      if (!more) return;
    }
  }

  /** The release's status as of event `sequence` (default: the last), folded from its first event. */
  async snapshotAt<T>(release: ReleaseKey, sequence?: number): Promise<{ sequence: number; value: T } | undefined> {
    const events: ReleaseCloudEvent[] = [];
    for await (const event of this.read(release)) {
      if (sequence !== undefined && event.data.sequence > sequence) break;
      events.push(event);
    }
    if (events.length === 0) return undefined;
    const state = replay<T>(events.map((event) => event.data));
    return { sequence: state.sequence, value: state.value as T };
  }
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}
