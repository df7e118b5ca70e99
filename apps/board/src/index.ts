/** Where the board's built page is, for the gateway that serves it at `/`. */
import { fileURLToPath } from 'node:url';

/** `dist/web`: Vite's output, a sibling of this module once built. */
export const boardDir = fileURLToPath(new URL('./web', import.meta.url));

export type {
  BoardMessage,
  BoardStatus,
  ListedRelease,
  ListedTrain,
  ReleasesAnswer,
  Snapshot,
  SnapshotAnswer,
  TrainSnapshotAnswer,
  TrainsAnswer,
} from './api.js';
