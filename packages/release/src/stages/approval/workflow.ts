/**
 * The approval stage: the release holds before `approval.before` until enough distinct approvers have approved its
 * digest set, the sha256 of its SHA256SUMS file. An approval names that digest, so one given for other artifacts never
 * counts; the stage reads the digest again each time it begins, and approvals of another digest go stale.
 */
import { ApplicationFailure, condition, patched } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time.js';
import {
  ApprovalRefusedType,
  ApprovalRule,
  isDigestSetFile,
  type Approval,
  type ApprovalRefusal,
  type ApprovalStatus,
  type ApproveInput,
  type ApproveResult,
  type StartedBy,
} from '../../approval.js';
import {
  isTarball,
  ReleaseFailureType,
  type DigestedArtifact,
  type PipelineStage,
  type ReleaseInput,
  type ReleasePlan,
  type ReleaseStatus,
  type StageStatus,
} from '../../shared.js';

/**
 * Whether the config's approval holds this version: `approval.prereleases: false` lets prereleases (a train's betas and
 * rcs) through, so only the final waits. Plans recorded before the field have none, which means true: their runs replay
 * as they ran.
 */
export function approvalHolds(plan: ReleasePlan): boolean {
  const rule = plan.config.approval;
  return rule !== undefined && !(plan.version.isPrerelease && rule.prereleases === false);
}

/** The stages of a run: the plan's, with the approval stage before `approval.before` (runs of older code have none). */
export function stagesWithApproval(plan: ReleasePlan): PipelineStage[] {
  const before = approvalHolds(plan) ? plan.config.approval?.before : undefined;
  const at = before === undefined ? -1 : plan.stages.indexOf(before);
  if (at < 0 || !patched('approval-gate')) return [...plan.stages];
  return [...plan.stages.slice(0, at), 'approval', ...plan.stages.slice(at)];
}

/** Someone who started the run, one way or another: none of them may approve it unless the config allows it. */
export interface Starter {
  login: string;
  /** How, as the refusal says it: "<login> started release hello 1.5.0". */
  did: 'started' | 're-released' | 'started a new run of';
}

/**
 * Everyone the run's input names as having started it: the starter, who re-released it (a start by the stock `temporal`
 * CLI may name only `rerelease.by`), and who started a new run after a lost one. Input from the stock CLI is plain
 * JSON, so a malformed name is skipped rather than trusted or thrown on.
 */
export function startersOf(input: ReleaseInput): Starter[] {
  const named = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
  const starters: Starter[] = [];
  const add = (login: string | undefined, did: Starter['did']) => {
    if (login !== undefined) starters.push({ login, did });
  };
  add(named((input.startedBy as { login?: unknown } | undefined)?.login), 'started');
  add(named((input.rerelease as { by?: unknown } | undefined)?.by), 're-released');
  const resumers: unknown[] = Array.isArray(input.resumedBy) ? input.resumedBy : [];
  for (const resumer of resumers) add(named((resumer as { login?: unknown } | null)?.login), 'started a new run of');
  return starters;
}

/** The wait ended unapproved and the config says to wait for an operator: the stage parks `waiting`. */
export class ApprovalTimedOut extends Error {
  override readonly name = 'ApprovalTimedOut';
}

/** An operator aborted the release while it awaited approval. */
export class AbortedAwaitingApproval extends Error {
  override readonly name = 'AbortedAwaitingApproval';
  constructor(readonly reason: string) {
    super(`aborted by an operator: ${reason}`);
  }
}

/** What the gate needs of its run: the status it writes, and the run's own state changes and events. */
export interface GateHost {
  readonly status: ReleaseStatus;
  readonly plan: ReleasePlan;
  readonly artifacts: DigestedArtifact[];
  readonly startedBy: StartedBy | undefined;
  /** Everyone who started the run (`startersOf` its input): the self-approval rule refuses each of them. */
  readonly starters: readonly Starter[];
  /** The abort reason, once an operator aborted since the gate began. */
  abortReason(): string | undefined;
  forgetDecision(): void;
  awaitingApproval(stage: StageStatus): void;
  approved(): void;
  recordApproval(state: 'given' | 'stale' | 'reminded', subject: string): void;
}

const sha256Hex = /^[0-9a-f]{64}$/;

function refuse(rule: ApprovalRule, field: string, message: string, fix: string): never {
  const refusal: ApprovalRefusal = { rule, field, fix };
  throw ApplicationFailure.create({ message, type: ApprovalRefusedType, nonRetryable: true, details: [refusal] });
}

const sameLogin = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export class ApprovalGate {
  #reminders = 0;

  constructor(private readonly host: GateHost) {}

  /** Waits for the approvals, the deadline, or an abort; returns the stage's outputs once approved. */
  async run(stage: StageStatus): Promise<Record<string, string>> {
    const { host } = this;
    const rule = host.plan.config.approval;
    // A resume with reloadConfig may have removed the section, or let prereleases through: nothing is left to wait for.
    if (!rule) return { approval: 'no longer configured' };
    if (!approvalHolds(host.plan)) return { approval: 'not asked of a prerelease (approval.prereleases is false)' };
    const sums = host.artifacts.find(isDigestSetFile);
    if (!sums)
      throw ApplicationFailure.nonRetryable(
        `the approval stage found no SHA256SUMS file among the release's artifacts; approval.before must come after checksum`,
        ReleaseFailureType.MissingArtifact,
      );
    const approval = this.#open(sums, rule);
    host.forgetDecision();
    if (!this.#enough()) {
      host.awaitingApproval(stage);
      await this.#wait(rule, approval);
      host.approved();
    }
    return { digest: approval.digest, approvedBy: approval.approvals.map((each) => each.login).join(', ') };
  }

  /** Refuses an approval the release cannot take, naming the field and the rule, before anything is recorded. */
  validate(input: unknown): void {
    const { status, plan } = this.host;
    const { approval } = status;
    const release = `release ${status.project} ${status.version}`;
    if (status.state !== 'awaiting-approval' || !approval) {
      refuse(
        ApprovalRule.NotAwaiting,
        'approve',
        approval || approvalHolds(plan)
          ? `${release} is not awaiting approval (it is ${status.state})`
          : plan.config.approval
            ? `${release} does not wait for an approval (it is ${status.state}; approval.prereleases is false, and ${status.version} is a prerelease)`
            : `${release} does not wait for an approval (it is ${status.state}; its config has no approval section)`,
        'approve a release while `relforge status` shows it awaiting-approval',
      );
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      refuse(ApprovalRule.Input, 'approve', 'approve: expected {"digest": "<sha256>", "login": "<GitHub login>"}', '');
    const { digest, login, teams } = input as Record<string, unknown>;
    if (typeof login !== 'string' || login === '')
      refuse(ApprovalRule.Input, 'approve.login', 'approve.login: expected the approver’s GitHub login', '');
    if (teams !== undefined && (!Array.isArray(teams) || teams.some((team) => typeof team !== 'string')))
      refuse(ApprovalRule.Input, 'approve.teams', 'approve.teams: expected a list of "org/slug" team names', '');
    if (typeof digest !== 'string' || !sha256Hex.test(digest))
      refuse(
        ApprovalRule.Digest,
        'approve.digest',
        'approve.digest: expected the 64 hex digits of the digest set’s sha256',
        `approve with --digest ${approval.digest} once you have checked it`,
      );
    if (digest !== approval.digest)
      refuse(
        ApprovalRule.Digest,
        'approve.digest',
        `approve.digest: ${digest} is not the digest set of ${release}, which is ${approval.digest} (the sha256 of ${approval.file}); the artifacts may have changed since you checked them`,
        `check the artifacts ${approval.file} lists, then approve ${approval.digest}`,
      );
    const rule = plan.config.approval;
    // Only a new approval is validated: a replayed history's approvals are not, so this rule may grow without a patch.
    const starter = this.host.starters.find((each) => sameLogin(each.login, login));
    if (starter && !rule?.allowSelfApproval)
      refuse(
        ApprovalRule.SelfApproval,
        'approve.login',
        `approve.login: ${login} ${starter.did} ${release} and may not approve it (approval.allowSelfApproval is false)`,
        'ask another approver',
      );
    if (approval.approvals.some((given) => sameLogin(given.login, login)))
      refuse(
        ApprovalRule.Repeat,
        'approve.login',
        `approve.login: ${login} has approved this digest set already; ${approval.approvals.length} of ${approval.required} approvals are given`,
        'ask another approver: each approval must come from a different person',
      );
    const users = rule?.approvers.users ?? [];
    const listedTeams = rule?.approvers.teams ?? [];
    const inTeam = ((teams as string[] | undefined) ?? []).some((team) => listedTeams.includes(team));
    if (!users.some((user) => sameLogin(user, login)) && !inTeam)
      refuse(
        ApprovalRule.Approver,
        'approve.login',
        `approve.login: ${login} is not an approver of ${status.project}: approval.approvers lists ${[...users, ...listedTeams.map((team) => `team ${team}`)].join(', ')}`,
        'ask a listed approver, or add the login or a team of theirs to approval.approvers in the config',
      );
  }

  /** Records an approval the validator accepted; the wait sees it and ends once there are enough. */
  approve(input: ApproveInput): ApproveResult {
    const approval = this.#status();
    approval.approvals.push({ login: input.login, at: new Date().toISOString(), digest: input.digest });
    this.host.recordApproval('given', input.login);
    return {
      required: approval.required,
      approvals: approval.approvals.map(({ login, at }) => ({ login, at })),
      digest: approval.digest,
      approved: this.#enough(),
    };
  }

  #status(): ApprovalStatus {
    const { approval } = this.host.status;
    if (!approval) throw new Error('an approval is recorded before the approval stage began');
    return approval;
  }

  #enough(): boolean {
    const approval = this.#status();
    return approval.approvals.length >= approval.required;
  }

  /** The status of this digest set: earlier approvals of another digest go stale, those of this one still count. */
  #open(sums: DigestedArtifact, rule: NonNullable<ReleasePlan['config']['approval']>): ApprovalStatus {
    const { host } = this;
    const earlier = host.status.approval;
    const digest = sums.sha256;
    const stale: Approval[] = [...(earlier?.stale ?? [])];
    const approvals: Approval[] = [];
    for (const given of earlier?.approvals ?? []) {
      if (given.digest === digest) approvals.push(given);
      else {
        stale.push(given);
        host.recordApproval('stale', given.login);
      }
    }
    const deadline =
      rule.timeout === undefined ? undefined : new Date(Date.now() + msToNumber(rule.timeout)).toISOString();
    const approval: ApprovalStatus = {
      digest,
      file: sums.file,
      covers: host.artifacts.filter(isTarball).map(({ file, sha256 }) => ({ file, sha256 })),
      before: rule.before,
      required: rule.required,
      approvals,
      ...(stale.length > 0 ? { stale } : {}),
      ...(host.startedBy ? { startedBy: host.startedBy } : {}),
      ...(deadline ? { deadline, onTimeout: rule.onTimeout } : {}),
    };
    host.status.approval = approval;
    return approval;
  }

  /** Sleeps until approved, aborted or the deadline, waking for each reminder on the way. */
  async #wait(rule: NonNullable<ReleasePlan['config']['approval']>, approval: ApprovalStatus): Promise<void> {
    const began = Date.now();
    const deadline = approval.deadline === undefined ? undefined : Date.parse(approval.deadline);
    const every = rule.remind === undefined ? undefined : msToNumber(rule.remind);
    for (let reminded = 0; ;) {
      const nextReminder = every === undefined ? undefined : began + every * (reminded + 1);
      const wake = Math.min(deadline ?? Infinity, nextReminder ?? Infinity);
      const done = () => this.#enough() || this.host.abortReason() !== undefined;
      if (wake === Infinity) await condition(done);
      else await condition(done, Math.max(wake - Date.now(), 1));
      const reason = this.host.abortReason();
      if (this.#enough()) return;
      if (reason !== undefined) throw new AbortedAwaitingApproval(reason);
      if (deadline !== undefined && Date.now() >= deadline) {
        const given = `${approval.approvals.length} of ${approval.required} approvals`;
        if (rule.onTimeout === 'fail')
          throw ApplicationFailure.nonRetryable(
            `approval timed out after ${rule.timeout} with ${given}; nothing was published`,
            ReleaseFailureType.ApprovalTimedOut,
          );
        throw new ApprovalTimedOut(
          `approval timed out after ${rule.timeout} with ${given}; resume the release to ask for approvals again`,
        );
      }
      reminded++;
      this.#reminders++;
      this.host.recordApproval('reminded', `reminder ${this.#reminders}`);
    }
  }
}

/** The approval stage's step, as the pipeline calls it: the run's gate holds until enough people approved. */
export const approvalStage = (run: { approvalGate: ApprovalGate }, stage: StageStatus) => run.approvalGate.run(stage);
