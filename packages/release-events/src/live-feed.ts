/**
 * The live half of following the event log: one ordered consumer per namespace and process, whose messages are handed
 * to every follower whose subject they match, each with a bounded queue of its own. Kept apart from the log's reads
 * and appends (jetstream.ts), which join a follower to it once the stored events are replayed.
 */
import { DeliverPolicy, type Consumer, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { RelforgeError, StackError } from '@relforge/errors';
import type { ReleaseCloudEvent } from './index.js';

export interface StoredEvent {
  /** The message's sequence in the stream (not the event's). */
  streamSequence: number;
  event: ReleaseCloudEvent;
}

/** An event as the live feed delivers it, with the subject it was stored on. */
type LiveEvent = StoredEvent & { storedAt: number; subject: string };

/**
 * How far a follower may fall behind the live feed before it is ended: a reader that stopped reading (a WebSocket
 * whose peer does not take its bytes) would otherwise hold every event stored since, in the gateway's memory. Ten
 * thousand events is far more than a namespace stores while a live reader takes one in.
 */
const followerBacklog = 10_000;

export class FollowerBehindError extends RelforgeError {}

/** One follower's queue of live events on its subject, woken as they arrive, ended by its signal. */
export class Follower {
  readonly #matches: (subject: string) => boolean;
  readonly #queue: LiveEvent[] = [];
  #failed: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(
    filter: string,
    private readonly signal: AbortSignal,
  ) {
    this.#matches = subjectFilter(filter);
    signal.addEventListener('abort', () => this.#wake?.(), { once: true });
  }

  push(event: LiveEvent): void {
    if (!this.#matches(event.subject) || this.#failed) return;
    if (this.#queue.length >= followerBacklog) {
      this.fail(
        new FollowerBehindError(`the reader fell ${followerBacklog} events behind the log and was stopped`, {
          fix: 'read again from the last stream sequence received + 1; nothing is lost',
        }),
      );
      return;
    }
    this.#queue.push(event);
    this.#wake?.();
  }

  fail(error: Error): void {
    this.#failed ??= error;
    this.#wake?.();
  }

  /** The next live event, or undefined once the signal aborts; throws what ended the feed. */
  async next(): Promise<LiveEvent | undefined> {
    for (;;) {
      if (this.signal.aborted) return undefined;
      const event = this.#queue.shift();
      if (event) return event;
      if (this.#failed) throw this.#failed;
      await new Promise<void>((wake) => (this.#wake = wake));
      this.#wake = undefined;
    }
  }
}

/** A NATS subject filter (`*` one token, `>` the rest) as a test of a subject. */
function subjectFilter(filter: string): (subject: string) => boolean {
  const wanted = filter.split('.');
  return (subject) => {
    const tokens = subject.split('.');
    for (const [index, token] of wanted.entries()) {
      if (token === '>') return tokens.length > index;
      if (index >= tokens.length || (token !== '*' && token !== tokens[index])) return false;
    }
    return tokens.length === wanted.length;
  };
}

interface FeedRun {
  consumer: Consumer;
  messages: ConsumerMessages;
}

/**
 * Everything a namespace's stream stores from now on, read once by one ordered consumer and handed to every follower
 * in this process: a thousand WebSockets hold one consumer on the server, not a thousand (the stream's cap). The
 * consumer starts with the first follower and is deleted when the last one leaves, so none is left behind.
 */
export class LiveFeed {
  readonly #followers = new Set<Follower>();
  #run: Promise<FeedRun> | undefined;

  constructor(
    private readonly client: () => Promise<JetStreamClient>,
    private readonly stream: string,
    private readonly subjects: string,
    private readonly lastSequence: () => Promise<number>,
  ) {}

  /** Adds the follower; once this returns, every message stored after it is handed to the follower. */
  async join(follower: Follower): Promise<void> {
    this.#followers.add(follower);
    const run = (this.#run ??= this.#start());
    try {
      await run;
    } catch (error) {
      this.#followers.delete(follower);
      if (this.#run === run) this.#run = undefined;
      throw error;
    }
  }

  leave(follower: Follower): void {
    this.#followers.delete(follower);
    if (this.#followers.size === 0) void this.#stop();
  }

  /** Ends every follower (the log is closing) and deletes the consumer. */
  async close(): Promise<void> {
    const closed = new StackError('the event log was closed', {
      fix: 'open it again and read on from where it stopped',
    });
    for (const follower of this.#followers) follower.fail(closed);
    this.#followers.clear();
    await this.#stop();
  }

  async #stop(): Promise<void> {
    const run = this.#run;
    this.#run = undefined;
    const started = await run?.catch(() => undefined);
    if (!started) return;
    await started.messages.close().catch(() => undefined);
    // Deleted now rather than left to its inactivity threshold (5 minutes), which a busy gateway would outpace.
    await started.consumer.delete().catch(() => undefined);
  }

  async #start(): Promise<FeedRun> {
    const js = await this.client();
    // From the message after the last stored one: a follower replays up to at least there after it joined.
    const from = (await this.lastSequence()) + 1;
    const consumer = await js.consumers.get(this.stream, {
      filter_subjects: [this.subjects],
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    const messages = await consumer.consume();
    const run: FeedRun = { consumer, messages };
    // Read after the awaits above, by when `join` has stored this run's promise as the current one.
    const mine = this.#run;
    void (async () => {
      let ended: Error = new StackError(`the live feed of stream ${this.stream} ended`, {
        fix: 'read again from the last stream sequence received + 1; nothing is lost',
      });
      try {
        for await (const message of messages) {
          // A feed that was stopped hands nothing more on: its followers have joined the next one.
          if (this.#run !== mine) return;
          const event: LiveEvent = {
            streamSequence: message.seq,
            subject: message.subject,
            event: message.json<ReleaseCloudEvent>(),
            storedAt: message.info.timestampNanos / 1e6,
          };
          for (const follower of this.#followers) follower.push(event);
        }
      } catch (error) {
        ended = error as Error;
      }
      if (this.#run !== mine) return;
      this.#run = undefined;
      for (const follower of this.#followers) follower.fail(ended);
      await consumer.delete().catch(() => undefined);
    })();
    return run;
  }
}
