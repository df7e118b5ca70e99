/** What the board holds of a release: the listed release, with the sequence its status is at (0 for none). */
import type { ListedRelease } from '../api.js';

export type { BoardStatus, ReleasesAnswer, SnapshotAnswer, BoardMessage } from '../api.js';

export interface BoardRelease extends ListedRelease {
  sequence: number;
}
