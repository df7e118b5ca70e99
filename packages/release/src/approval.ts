/**
 * The approval gate's contract: who started a release, what an approval names, the update that records one and how
 * it is refused, and what the status shows while the gate exists. Shared by the workflow, the gateway and the CLI;
 * free of Node imports.
 */
import { defineUpdate } from '@temporalio/workflow';

/** The ways a release is asked for: a webhook (`github`), a terminal (`cli`), the gateway's dispatch (`gateway`). */
export const startedByVia = ['github', 'cli', 'gateway'] as const;

/** Who asked for the release: the webhook's sender (via `github`), the OS user of `relforge release` (via `cli`). */
export interface StartedBy {
  login: string;
  via: (typeof startedByVia)[number];
}

/** One approval, as the status lists it: the approver and when; `digest` is the digest set it approved. */
export interface Approval {
  login: string;
  at: string;
  digest: string;
}

/** What the status carries while the release has an approval stage (`approval` in the query, snapshot and events). */
export interface ApprovalStatus {
  /** The sha256 of the release's `<project>-<version>-SHA256SUMS` file: what an approver approves. */
  digest: string;
  /** The checksums file the digest is of, and the files it lists: what the approval covers. */
  file: string;
  covers: { file: string; sha256: string }[];
  /** The stage the release waits before. */
  before: string;
  required: number;
  /** The approvals of this digest set, oldest first: they count. */
  approvals: Approval[];
  /** Approvals of an earlier digest set (the artifacts changed since): listed, never counted. */
  stale?: Approval[];
  startedBy?: StartedBy;
  /** When the wait ends unapproved (`approval.timeout`), and what then happens (`approval.onTimeout`). */
  deadline?: string;
  onTimeout?: 'wait' | 'fail';
}

/**
 * What the gateway sends for an approver it has identified: the login behind the token or session, and the teams of
 * the config's `approval.approvers.teams` the forge says the login is an active member of.
 */
export interface ApproveInput {
  digest: string;
  login: string;
  /** `org/slug` of each listed team the gateway found the approver in. */
  teams?: string[];
  /** How the approver signed in, for the record: `token` (a bearer GitHub token) or `session` (the OAuth web flow). */
  via?: 'token' | 'session';
}

/** What an accepted approval answers: the rule, the approvals that count, and the digest set they name. */
export interface ApproveResult {
  required: number;
  approvals: { login: string; at: string }[];
  digest: string;
  /** True once the approvals are enough: the release goes on. */
  approved: boolean;
}

/** The rules an approval can break, each the `rule` of its refusal. */
export const ApprovalRule = {
  NotAwaiting: 'not-awaiting-approval',
  Digest: 'digest',
  Approver: 'approver',
  SelfApproval: 'self-approval',
  Repeat: 'repeat-approver',
  Input: 'input',
} as const;
export type ApprovalRule = (typeof ApprovalRule)[keyof typeof ApprovalRule];

/**
 * The status every door answers a refused approval with (`POST …/approve`, dispatch, an issue comment), so that they
 * never decide differently: 409 for a release in no state to take this approval, 403 for a person who may not give
 * it, 400 for an approval that is malformed.
 */
export const approvalRefusalStatus: Record<ApprovalRule, 400 | 403 | 409> = {
  [ApprovalRule.NotAwaiting]: 409,
  [ApprovalRule.Digest]: 409,
  [ApprovalRule.Repeat]: 409,
  [ApprovalRule.SelfApproval]: 403,
  [ApprovalRule.Approver]: 403,
  [ApprovalRule.Input]: 400,
};

/** The failure type every refused approval carries; its details are one `ApprovalRefusal`. */
export const ApprovalRefusedType = 'ApprovalRefused';

export interface ApprovalRefusal {
  rule: ApprovalRule;
  /** The input field at fault, e.g. `approve.digest`. */
  field: string;
  fix: string;
}

export const approveUpdate = defineUpdate<ApproveResult, [ApproveInput]>('approve');

/** The checksums file whose sha256 is the digest set: `<project>-<version>-SHA256SUMS`. */
export function isDigestSetFile(artifact: { file: string; kind: string }): boolean {
  return artifact.kind === 'checksums' && artifact.file.endsWith('-SHA256SUMS');
}
