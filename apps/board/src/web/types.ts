/** What the gateway answers, as the board reads it. */
import type { ReleaseStatus } from '@relforge/release';

/**
 * The status as the events carry it, with what the approvals stage adds while it exists (contracts: `approval`, and
 * the release state `awaiting-approval`).
 */
export type BoardStatus = Omit<ReleaseStatus, 'state'> & {
  state: ReleaseStatus['state'] | 'awaiting-approval';
  approval?: {
    digest: string;
    required: number;
    approvals: { login: string; at: string }[];
    startedBy?: string;
    deadline?: string;
  };
};

/** One release of `GET /api/releases`, and what the board holds of it. */
export interface BoardRelease {
  workflowId: string;
  runId: string;
  project: string;
  version: string;
  execution: string;
  state: string;
  stage?: string;
  startedAt: string;
  closedAt?: string;
  /** The last event folded into `status`; 0 for none. */
  sequence: number;
  status?: BoardStatus;
}

export interface ReleasesAnswer {
  namespace: string;
  temporalUiUrl: string | null;
  events: { on: true; stream: string; cursor: number } | { on: false; error: string; fix: string };
  releases: (Omit<BoardRelease, 'sequence'> & { sequence?: number })[];
}
