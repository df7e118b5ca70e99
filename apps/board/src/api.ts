/**
 * The board's API as the gateway answers it and the page reads it: one definition for both sides (the gateway imports
 * these types from this package, whose page it serves).
 */
import type { ReleaseCloudEvent } from '@relforge/release-events';
import type { ReleaseStatus, TrainStatus } from '@relforge/release';

export type { TrainStatus };

/** The status as the events carry it: the release's own status type, approval and `awaiting-approval` included. */
export type BoardStatus = ReleaseStatus;

/** One release of `GET /api/releases`. */
export interface ListedRelease {
  workflowId: string;
  runId: string;
  project: string;
  version: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, … */
  execution: string;
  /** `RelforgeState` as visibility has it (`waiting-for-operator`, `awaiting-approval`, …); `queued` before a worker took it. */
  state: string;
  stage?: string;
  startedAt: string;
  closedAt?: string;
  /** The status as of event `sequence` of the log; absent when events are off or the release logged none. */
  sequence?: number;
  status?: BoardStatus;
}

/** `GET /api/releases`. */
export interface ReleasesAnswer {
  namespace: string;
  temporalUiUrl: string | null;
  /** `cursor`: the stream sequence the list was read at; stream from `cursor + 1` to miss nothing. */
  events: { on: true; stream: string; cursor: number } | { on: false; error: string; fix: string };
  releases: ListedRelease[];
}

/** One train of `GET /api/trains`. */
export interface ListedTrain {
  /** `train/<project>/<version>`. */
  workflowId: string;
  /** Its current (or last) run: a train continues as new between steps. */
  runId: string;
  project: string;
  version: string;
  /** Temporal's execution status of that run. */
  execution: string;
  /** When that run started. */
  startedAt: string;
  closedAt?: string;
  /** The status as of event `sequence` of the train's log; without a sequence it was asked of the train itself. */
  sequence?: number;
  status?: TrainStatus;
}

/** `GET /api/trains`: the running trains and the latest ended ones. */
export interface TrainsAnswer {
  namespace: string;
  /** As in `ReleasesAnswer`: stream from `cursor + 1` to miss nothing. */
  events: ReleasesAnswer['events'];
  trains: ListedTrain[];
}

/** `GET /api/trains/:project/:version[?at=<sequence>]`. */
export type TrainSnapshotAnswer = Snapshot<TrainStatus>;

/** A status folded from a log, as of event `sequence`. */
export interface Snapshot<T> {
  workflowId: string;
  sequence: number;
  status: T;
}

/** `GET /api/releases/:project/:version[?at=<sequence>]`. */
export type SnapshotAnswer = Snapshot<BoardStatus>;

/** What the WebSocket `GET /api/events` sends, one JSON object a message. */
export type BoardMessage =
  /** An event of the log; `cursor` is its stream sequence: reconnect with `from=<cursor + 1>`. */
  | { type: 'event'; cursor: number; event: ReleaseCloudEvent }
  /** The replay reached the end of the log: what follows is live. */
  | { type: 'caught-up'; cursor: number }
  | { type: 'heartbeat'; at: string; cursor: number }
  | { type: 'error'; error: string; fix: string };
