/**
 * The release board: its page at `/` (apps/board's build), the release and train lists and snapshots it starts from, and the
 * WebSocket that replays the JetStream log from a given sequence and then streams it live, so a board or any receiver
 * that reconnects with its last sequence misses nothing. Read-only and open: it shows what the Temporal Web UI and
 * the events show, and changes nothing (approvals are POSTs with their own authentication).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { boardDir, type BoardMessage, type ReleasesAnswer, type Snapshot, type TrainsAnswer } from '@relforge/board';
import type { JetStreamEventLog, ReleaseKey } from '@relforge/release-events/jetstream';
import { streamName } from '@relforge/release-events/jetstream';
import { refuseSocketBeyondLimit, type ClientLimits } from './client-limits.js';
import { ReleaseList } from './release-list.js';
import { TrainList } from './train-list.js';
import type { TemporalLink } from './temporal.js';

export interface BoardOptions {
  temporal: TemporalLink;
  /** The event log, or undefined when the gateway has no NATS: the board lists releases and says events are off. */
  events: JetStreamEventLog | undefined;
  temporalUiUrl?: string;
  /** How often the WebSocket sends a heartbeat message and a ping frame; a peer that misses two pongs is dropped. */
  heartbeatMs?: number;
  /** What one client may hold: its event WebSockets are counted here. */
  limits: ClientLimits;
}

const eventsOff = {
  error: 'release events are off: this gateway has no NATS server',
  fix: 'start the gateway with --nats-url (RELFORGE_NATS_URL) set to the NATS server your workers log release events to',
};

function refuse(reply: FastifyReply, code: number, error: string, fix: string) {
  return reply.code(code).send({ error, fix });
}

/**
 * A sequence number as a query parameter: digits only, 1 up to the largest integer a double holds exactly. Past that
 * `Number` rounds (99999999999999999999 reads as 1e20), and what NATS makes of it is not for a client to find out.
 */
function sequenceParameter(value: unknown, name: string): number | Error | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || /^0+$/.test(value)) {
    return new Error(`${name}: expected a sequence number, 1 or more`);
  }
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) {
    return new Error(`${name}: expected a sequence number, at most ${Number.MAX_SAFE_INTEGER}`);
  }
  return parsed;
}

interface EventsQuery {
  from?: string;
  project?: string;
  version?: string;
}

export function board(options: BoardOptions) {
  return async function boardPlugin(app: FastifyInstance): Promise<void> {
    const namespace = options.temporal.settings.namespace;
    const list = new ReleaseList(namespace, options.events);
    const trains = new TrainList(namespace, options.events);
    const eventsAt = (cursor: number): ReleasesAnswer['events'] =>
      options.events ? { on: true, stream: streamName(namespace), cursor } : { on: false, ...eventsOff };
    const heartbeatMs = options.heartbeatMs ?? 15_000;

    const root = boardDir;
    if (!existsSync(join(root, 'index.html'))) {
      throw new Error(`the board's page is not built (${root}/index.html is missing): run \`pnpm build\``);
    }
    // Only the files the build made are routes: the board's page cannot shadow an API path, nor expose anything else.
    await app.register(fastifyStatic, { root, wildcard: false, index: 'index.html', maxAge: 0 });
    await app.register(fastifyWebsocket, { options: { maxPayload: 4096 } });

    app.get('/api/releases', async (_request, reply) => {
      const client = await options.temporal.client().catch((error: unknown) => error as Error);
      if (client instanceof Error)
        return refuse(reply, 503, `Temporal is not reachable: ${client.message}`, 'see /readyz');
      // Taken before the list, so a board that streams from it misses nothing the snapshots do not hold yet.
      const cursor = options.events ? await options.events.lastStreamSequence(namespace) : 0;
      const releases = await list.list(client);
      const answer: ReleasesAnswer = {
        namespace,
        temporalUiUrl: options.temporalUiUrl ?? null,
        events: eventsAt(cursor),
        releases,
      };
      return answer;
    });

    app.get('/api/trains', async (_request, reply) => {
      const client = await options.temporal.client().catch((error: unknown) => error as Error);
      if (client instanceof Error)
        return refuse(reply, 503, `Temporal is not reachable: ${client.message}`, 'see /readyz');
      const cursor = options.events ? await options.events.lastStreamSequence(namespace) : 0;
      const answer: TrainsAnswer = { namespace, events: eventsAt(cursor), trains: await trains.list(client) };
      return answer;
    });

    /** A release's or a train's status as of one of its events, folded from its log: what a board fetches after a gap. */
    const snapshotRoute = <T>(
      kind: 'release' | 'train',
      snapshot: (project: string, version: string, at?: number) => Promise<{ sequence: number; value: T } | undefined>,
    ) =>
      app.get<{ Params: { project: string; version: string }; Querystring: { at?: string } }>(
        `/api/${kind}s/:project/:version`,
        async (request, reply) => {
          if (!options.events) return refuse(reply, 503, eventsOff.error, eventsOff.fix);
          const { project, version } = request.params;
          const at = sequenceParameter(request.query.at, 'at');
          if (at instanceof Error) return refuse(reply, 400, at.message, 'give ?at=<sequence> of one of its events');
          const found = await snapshot(project, version, at);
          if (!found) {
            return refuse(
              reply,
              404,
              `no events of ${kind === 'train' ? 'train ' : ''}${project} ${version} in stream ${streamName(namespace)}`,
              `check the project and version; a ${kind} whose worker has no RELFORGE_NATS_URL logs no events`,
            );
          }
          if (at !== undefined && found.sequence < at) {
            return refuse(
              reply,
              404,
              `${project} ${version} has no event ${at} yet: its last is ${found.sequence}`,
              `ask for ?at=${found.sequence} or less, or follow /api/events for what comes next`,
            );
          }
          const answer: Snapshot<T> = {
            workflowId: `${kind}/${project}/${version}`,
            sequence: found.sequence,
            status: found.value,
          };
          return answer;
        },
      );
    snapshotRoute('release', (project, version, at) => list.snapshot(project, version, at));
    snapshotRoute('train', (project, version, at) => trains.snapshot(project, version, at));

    app.get<{ Querystring: EventsQuery }>(
      '/api/events',
      {
        websocket: true,
        // Refused as plain HTTP before the upgrade, so a client sees the status code and the reason.
        preValidation: async (request: FastifyRequest<{ Querystring: EventsQuery }>, reply: FastifyReply) => {
          if (!options.events) return refuse(reply, 503, eventsOff.error, eventsOff.fix);
          const from = sequenceParameter(request.query.from, 'from');
          if (from instanceof Error)
            return refuse(reply, 400, from.message, 'reconnect with from=<the last cursor you received + 1>');
          const { project, version } = request.query;
          if ((project === undefined) !== (version === undefined)) {
            return refuse(
              reply,
              400,
              'project and version go together',
              'give both (?project=hello&version=1.2.3) for one release, or neither for all',
            );
          }
          // Last, once the request is sure to be upgraded: a refused one holds nothing.
          return request.ws ? refuseSocketBeyondLimit(request, reply, options.limits) : undefined;
        },
      },
      (socket, request) => {
        const events = options.events as JetStreamEventLog;
        const from = (sequenceParameter(request.query.from, 'from') as number | undefined) ?? 1;
        const { project, version } = request.query;
        const release: ReleaseKey | undefined =
          project !== undefined && version !== undefined ? { namespace, project, version } : undefined;
        streamTo(socket, { events, namespace, from, release, heartbeatMs, log: request.log });
      },
    );
  };
}

/** How much a WebSocket may have unsent before its feed waits: a replay's worth of a release's log, many times over. */
const unsentLimit = 1024 * 1024;

/**
 * One WebSocket's feed. For all releases `from` is the stream sequence (the `cursor` of each message); for one release
 * it is the release's own event sequence, and the cursor is still the stream's.
 */
function streamTo(
  socket: WebSocket,
  feed: {
    events: JetStreamEventLog;
    namespace: string;
    from: number;
    release: ReleaseKey | undefined;
    heartbeatMs: number;
    log: FastifyRequest['log'];
  },
): void {
  const stop = new AbortController();
  let cursor = feed.release ? 0 : feed.from - 1;
  let alive = true;
  const send = (message: BoardMessage) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  socket.on('pong', () => (alive = true));
  // A heartbeat message for browsers (which never see ping frames) and a ping for the gateway to notice a dead peer.
  const heartbeat = setInterval(() => {
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
    send({ type: 'heartbeat', at: new Date().toISOString(), cursor });
  }, feed.heartbeatMs);
  socket.on('close', () => {
    clearInterval(heartbeat);
    stop.abort();
  });
  void (async () => {
    // Where the replay ends: the stream's last event, or the release's; what comes after it is live.
    const end = feed.release
      ? ((await feed.events.lastEvent(feed.release))?.streamSequence ?? 0)
      : await feed.events.lastStreamSequence(feed.namespace);
    let caughtUp = false;
    const catchUp = () => {
      caughtUp = true;
      send({ type: 'caught-up', cursor });
    };
    if (end === 0 || (!feed.release && feed.from > end)) catchUp();
    const streamFrom = feed.release ? 1 : feed.from;
    for await (const stored of feed.events.follow(feed.namespace, {
      from: streamFrom,
      ...(feed.release ? { release: feed.release } : {}),
      signal: stop.signal,
    })) {
      cursor = stored.streamSequence;
      const wanted = !feed.release || stored.event.data.sequence >= feed.from;
      if (wanted) send({ type: 'event', cursor, event: stored.event });
      if (!caughtUp && cursor >= end) catchUp();
      // A peer that does not take its bytes is not read for: what waits is the log, not the gateway's memory.
      while (socket.bufferedAmount > unsentLimit && !stop.signal.aborted) await sleep(50);
    }
  })().catch((error: unknown) => {
    if (stop.signal.aborted) return;
    feed.log.warn({ err: error }, 'the event feed of a WebSocket failed');
    send({
      type: 'error',
      error: `the event log could not be read: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'reconnect with from=<the last cursor you received + 1>; nothing is lost',
    });
    socket.close(1011, 'event log unavailable');
  });
}
