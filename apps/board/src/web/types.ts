/** What the board holds of a release or a train: the listed one, with the sequence its status is at (0 for none). */
import type { ListedRelease, ListedTrain } from '../api.js';

export type {
  BoardStatus,
  ReleasesAnswer,
  SnapshotAnswer,
  BoardMessage,
  Snapshot,
  TrainsAnswer,
  TrainStatus,
} from '../api.js';

export interface BoardRelease extends ListedRelease {
  sequence: number;
}

export interface BoardTrain extends ListedTrain {
  sequence: number;
}
