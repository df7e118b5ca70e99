/** What a rollback step reports, shared by every stage's undo activities. */
import type { RollbackItem } from '../shared.js';
import type { Withdrawn } from '../rollback-inputs.js';

export const nothing = (): Withdrawn => ({ removed: [], kept: [] });

/** What the run made and is gone now: an earlier attempt of this step removed it before its worker died, or a person did. */
export const goneAlready = (what: string): RollbackItem => ({ what: `${what} (gone already)` });
