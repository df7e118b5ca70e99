/**
 * The board's view of the releases and trains: the lists the gateway answers, then every event of the namespace from
 * the WebSocket, each folded into its release's (or train's) status. It resumes from the last cursor it received after any drop (a
 * gateway restart, a network blip, a heartbeat that stopped), and fetches a release's snapshot when an event does not
 * apply to the state it holds (a release it has not seen from its start), so it never shows a wrong state.
 */
import { applyEvent, type ReleaseCloudEvent } from '@relforge/release-events';
import type {
  BoardMessage,
  BoardRelease,
  BoardStatus,
  BoardTrain,
  ReleasesAnswer,
  Snapshot,
  TrainsAnswer,
  TrainStatus,
} from './types.js';

export type Connection = 'connecting' | 'replaying' | 'live' | 'reconnecting' | 'off';

/** The gateway sends a heartbeat every 15 s: a socket silent for three of them is dead even if it looks open. */
const silenceMs = 45_000;

export class Feed {
  readonly releases = new Map<string, BoardRelease>();
  readonly trains = new Map<string, BoardTrain>();
  answer: ReleasesAnswer | undefined;
  connection: Connection = 'connecting';
  #cursor = 0;
  #socket: WebSocket | undefined;
  #retryMs = 250;
  #silence: ReturnType<typeof setTimeout> | undefined;
  /** One chain per release, so a snapshot fetched after a gap is folded before the events that follow it. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(private readonly changed: () => void) {}

  async start(): Promise<void> {
    const [answer, trains] = await Promise.all([
      getJson<ReleasesAnswer>('/api/releases'),
      getJson<TrainsAnswer>('/api/trains'),
    ]);
    this.answer = answer;
    for (const listed of answer.releases)
      this.releases.set(listed.workflowId, { ...listed, sequence: listed.sequence ?? 0 });
    for (const listed of trains.trains)
      this.trains.set(listed.workflowId, { ...listed, sequence: listed.sequence ?? 0 });
    if (answer.events.on) {
      // From the older of the two lists: an event the other already holds is dropped by its sequence.
      this.#cursor = Math.min(answer.events.cursor, trains.events.on ? trains.events.cursor : Infinity);
      this.#connect();
    } else {
      this.connection = 'off';
    }
    this.changed();
  }

  #connect(): void {
    const url = new URL('/api/events', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('from', String(this.#cursor + 1));
    const socket = new WebSocket(url);
    this.#socket = socket;
    this.connection = this.connection === 'connecting' ? 'connecting' : 'reconnecting';
    socket.addEventListener('open', () => {
      this.#retryMs = 250;
      this.connection = 'replaying';
      this.#heard();
      this.changed();
    });
    socket.addEventListener('message', (message) => {
      this.#heard();
      this.#receive(JSON.parse(String(message.data)) as BoardMessage);
    });
    socket.addEventListener('close', () => {
      if (this.#socket !== socket) return;
      clearTimeout(this.#silence);
      this.connection = 'reconnecting';
      this.changed();
      // Backing off to 5 s: a gateway restarting is back within a few seconds, and then the board resumes at once.
      setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, 5_000);
    });
  }

  #heard(): void {
    clearTimeout(this.#silence);
    this.#silence = setTimeout(() => this.#socket?.close(), silenceMs);
  }

  #receive(message: BoardMessage): void {
    if (message.type === 'caught-up') {
      this.connection = 'live';
      this.changed();
    } else if (message.type === 'event') {
      // Cursors only go forward: after a reconnect the replay starts past what was already folded.
      if (message.cursor <= this.#cursor) return;
      this.#cursor = message.cursor;
      this.#fold(message.event);
    } else if (message.type === 'error') {
      console.warn(`relforge board: ${message.error} (${message.fix})`);
    }
  }

  #fold(event: ReleaseCloudEvent): void {
    const key = event.source;
    const before = this.#chains.get(key) ?? Promise.resolve();
    const after = before
      .then(() => this.#apply(event))
      .catch((error: unknown) => console.warn(`relforge board: ${key}: ${String(error)}`));
    this.#chains.set(key, after);
  }

  async #apply(event: ReleaseCloudEvent): Promise<void> {
    const key = event.source;
    if (key.startsWith('train/')) {
      const next = await folded<TrainStatus>('trains', this.trains.get(key), event);
      if (!next) return;
      const train = this.trains.get(key) ?? blankTrain(event);
      this.trains.set(key, {
        ...train,
        runId: event.runid,
        sequence: next.sequence,
        ...(next.value ? { status: next.value } : {}),
      });
    } else {
      const next = await folded<BoardStatus>('releases', this.releases.get(key), event);
      if (!next) return;
      const release = this.releases.get(key) ?? blankRelease(event);
      this.releases.set(key, { ...release, runId: event.runid, sequence: next.sequence, ...statusFields(next.value) });
    }
    this.changed();
  }
}

/**
 * The status after `event`, given what is held: undefined when the held snapshot (the list's, or a gap fetch's)
 * has it already; the snapshot before it is fetched when the event does not apply to what is held.
 */
async function folded<S>(
  kind: 'releases' | 'trains',
  held: { sequence: number; status?: S } | undefined,
  event: ReleaseCloudEvent,
): Promise<{ sequence: number; value: S | undefined } | undefined> {
  const sequence = held?.sequence ?? 0;
  if (event.data.sequence <= sequence) return undefined;
  const whole = event.data.patch.length === 1 && event.data.patch[0]?.path === '';
  let state = { sequence, value: held?.status };
  if (!whole && event.data.appliesTo !== sequence) {
    const snapshot = await fetchSnapshot<S>(kind, event, event.data.appliesTo);
    state = { sequence: snapshot.sequence, value: snapshot.status };
  }
  // The first event of a run replaces the whole document, whatever was held.
  if (whole) state = { sequence: event.data.appliesTo, value: undefined };
  return applyEvent<S | undefined>(state, event.data);
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

function statusFields(status: BoardStatus | undefined): Partial<BoardRelease> {
  return status ? { status, state: status.state, project: status.project, version: status.version } : {};
}

function blankRelease(event: ReleaseCloudEvent): BoardRelease {
  return { ...blank(event), state: 'queued' };
}

function blankTrain(event: ReleaseCloudEvent): BoardTrain {
  return blank(event);
}

/** What an event's source says of a workflow the list did not have: started since, and running. */
function blank(event: ReleaseCloudEvent) {
  const [, project = '', ...version] = event.source.split('/');
  return {
    workflowId: event.source,
    runId: event.runid,
    project,
    version: version.join('/'),
    execution: 'RUNNING',
    startedAt: event.time,
    sequence: 0,
  };
}

async function fetchSnapshot<S>(kind: 'releases' | 'trains', event: ReleaseCloudEvent, at: number) {
  const path = event.source.split('/').map(encodeURIComponent);
  const response = await fetch(`/api/${kind}/${path[1] ?? ''}/${path.slice(2).join('/')}?at=${at}`);
  if (!response.ok) throw new Error(`the snapshot at ${at} answered ${response.status}`);
  return (await response.json()) as Snapshot<S>;
}
