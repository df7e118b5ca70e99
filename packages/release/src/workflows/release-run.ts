/**
 * One release run's state, and the only code that changes it: what the status query reports, the search attributes
 * the Web UI lists, the events it logs, and the operator's decisions. Each change of a state goes through one method
 * that checks it against its state machine (@relforge/release-states), writes its search attribute and records its
 * event, so the three never disagree and no change the machine does not list can happen.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import {
  artifactMachine,
  buildMachine,
  IllegalTransitionError,
  releaseMachine,
  stageMachine,
  transition,
  type Entity,
} from '@relforge/release-states';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { RelforgeProject, RelforgeStage, RelforgeState, RelforgeVersion } from '@relforge/temporal-names';
import {
  ReleaseFailureType,
  type AbortInput,
  type Artifact,
  type ArtifactState,
  type BuildState,
  type BuildStatus,
  type BuildTarget,
  type DigestedArtifact,
  type ReleaseInput,
  type ReleasePlan,
  type ReleaseState,
  type ReleaseStatus,
  type ReleaseTrigger,
  type PipelineStage,
  type ResumeInput,
  type StageState,
  type StageStatus,
} from '../shared.js';
import type { ApproveInput, ApproveResult } from '../approval.js';
import {
  AbortedAwaitingApproval,
  ApprovalGate,
  ApprovalTimedOut,
  stagesWithApproval,
  startersOf,
} from '../stages/approval/workflow.js';
import type { Placed } from '../stages/inputs.js';
import type { StageRun } from '../stages/run.js';
import { EventOutbox } from './event-outbox.js';
import { messageOf, releaseFailure } from './failures.js';
import { adoptedRelease, recordTrigger, refuseBadResume } from './operator-input.js';
import { preparePlan, reloadedPlan } from './prepare.js';
import { rollBack } from './rollback.js';
import { detailsOf, searchedAs } from './web-ui.js';

type Decision = { resume: ResumeInput } | { abort: AbortInput };

export class ReleaseRun implements StageRun {
  readonly status: ReleaseStatus;
  // What the stages made and where they put it: described in StageRun.
  built: Artifact[] = [];
  artifacts: DigestedArtifact[] = [];
  placed: Placed = {};
  draftedRelease: number | undefined;
  #plan: ReleasePlan | undefined;
  #decision: Decision | undefined;
  /** Absent in runs recorded before releases logged events: those replay without a single event step. */
  readonly #events: EventOutbox | undefined;
  /** The approval stage's rules and approvals; idle in releases whose config has no approval section. */
  readonly approvalGate: ApprovalGate;

  constructor(private readonly input: ReleaseInput) {
    this.#events = patched('release-events') ? new EventOutbox(input) : undefined;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the gate reads the run's fields as they change
    const run = this;
    this.approvalGate = new ApprovalGate({
      get status() {
        return run.status;
      },
      get plan() {
        return run.plan;
      },
      get artifacts() {
        return run.artifacts;
      },
      startedBy: input.startedBy,
      starters: startersOf(input),
      abortReason: () => (this.#decision && 'abort' in this.#decision ? this.#decision.abort.reason : undefined),
      forgetDecision: () => {
        this.#decision = undefined;
      },
      awaitingApproval: (stage) => {
        this.setStageState(stage, 'awaiting-approval');
        this.setState('awaiting-approval');
      },
      approved: () => this.setState('running'),
      recordApproval: (state, subject) => this.#record('approval', state, subject),
    });
    this.status = {
      project: input.project,
      version: input.version,
      state: transition(releaseMachine, this.title(), undefined, 'queued'),
      stages: [],
      artifacts: [],
      audit: [],
    };
    this.#record('release', 'queued');
    // A worker has taken the run: it is preparing. One upsert with the project and version, as runs always made.
    this.setState('preparing', [
      { key: RelforgeProject, value: input.project },
      { key: RelforgeVersion, value: input.version },
    ]);
    this.showDetails();
  }

  get plan(): ReleasePlan {
    if (!this.#plan) throw new Error('the release plan is read before prepareRelease made it');
    return this.#plan;
  }

  /** Moves the release to `state`, if its machine allows it, with its search attribute and its event. */
  setState(state: ReleaseState, alsoUpsert: SearchAttributeUpdatePair[] = []): void {
    this.status.state = transition(releaseMachine, this.title(), this.status.state, state);
    upsertSearchAttributes([...alsoUpsert, { key: RelforgeState, value: searchedAs[state] }]);
    this.#record('release', state);
    this.showDetails();
  }

  /** What the Web UI shows as the run's current details: where it is, and what it waits for. */
  showDetails(): void {
    setCurrentDetails(detailsOf(this.status));
  }

  /** Fixes the plan (config, commit, stages) or fails the release, having done nothing. */
  async prepare(): Promise<void> {
    let plan: ReleasePlan;
    try {
      plan = await preparePlan(this.input);
    } catch (error) {
      return this.fail(error);
    }
    this.#plan = plan;
    // Recorded once prepare has accepted the re-release and its reason.
    if (this.input.rerelease)
      this.status.audit.push({
        at: plan.startedAt,
        action: 'rerelease',
        note: this.input.rerelease.reason,
        ...(this.input.rerelease.by ? { by: this.input.rerelease.by } : {}),
      });
    this.status.sourceCommit = plan.sourceCommit;
    if (plan.configFile) this.status.config = plan.configFile;
    this.status.stages = stagesWithApproval(plan).map((name): StageStatus => ({
      name,
      state: transition(stageMachine, `${this.title()}: stage ${name}`, undefined, 'pending'),
      outputs: {},
    }));
    this.setState('running');
  }

  /**
   * Runs one stage until it succeeds. A step that failed for good waits for an operator, who resumes it (it runs
   * again) or aborts the release; anything else fails the release.
   */
  async runStage(stage: StageStatus, step: () => Promise<Record<string, string>>): Promise<void> {
    this.status.currentStage = stage.name;
    stage.startedAt = new Date().toISOString();
    upsertSearchAttributes([{ key: RelforgeStage, value: stage.name }]);
    for (;;) {
      stage.attempts = (stage.attempts ?? 0) + 1;
      this.setStageState(stage, 'running');
      this.showDetails();
      try {
        stage.outputs = await step();
        break;
      } catch (error) {
        // A bug in the workflow, not a failed step: it must fail the workflow task, never park or fail the release.
        if (error instanceof IllegalTransitionError) throw error;
        stage.error = messageOf(error);
        if (error instanceof AbortedAwaitingApproval) return this.abortAt(stage, error.reason);
        // Older runs failed at once instead of waiting for a person.
        const parks = error instanceof ActivityFailure || error instanceof ApprovalTimedOut;
        if (!parks || !patched('wait-for-operator')) {
          this.endStage(stage, 'failed');
          return this.fail(error);
        }
        await this.waitForOperator(stage);
      }
    }
    this.endStage(stage, 'succeeded');
  }

  /** Ends the run as succeeded, once its events are in the log. */
  async succeed(): Promise<ReleaseStatus> {
    this.status.currentStage = undefined;
    this.setState('succeeded');
    await this.#events?.flushed();
    return this.status;
  }

  /** The `resume` update: the stage that waits runs again. The validator has checked that one waits. */
  resume(resume: ResumeInput | undefined): { resumed: PipelineStage } {
    this.#decision = { resume: resume ?? {} };
    return { resumed: this.status.currentStage as PipelineStage };
  }

  abort(abort: AbortInput | undefined): void {
    const reason = String(abort?.reason ?? 'no reason given');
    // A signal cannot be refused: anything but `true` is an abort without rollback, as before the field existed.
    this.#decision = { abort: abort?.rollback === true ? { reason, rollback: true } : { reason } };
  }

  /** Refuses a resume the release cannot take, naming the field, before anything is recorded in history. */
  validateResume(resume: unknown): void {
    refuseBadResume(this.status, resume);
  }

  /** The `trigger` signal: recorded once per delivery id; a malformed one is logged and dropped. */
  recordTrigger(trigger: ReleaseTrigger | undefined): void {
    recordTrigger(this.status, trigger);
  }

  /** The forge release a `release` trigger said a person published for `tag`: the publish stage adopts it. */
  adoptedRelease(tag: string): { releaseId: number } | undefined {
    return adoptedRelease(this.status, tag);
  }

  /** A matrix target's build, listed in the status from the moment it is queued on its platform. */
  trackBuild(target: BuildTarget, taskQueue: string): BuildStatus {
    const state = transition(buildMachine, this.buildTitle(target), undefined, 'queued');
    const build: BuildStatus = { target, taskQueue, state };
    (this.status.builds ??= []).push(build);
    this.#record('build', state, platformOf(target));
    return build;
  }

  /** A build queued again while it waits for a builder stays as it is: no change, no event. */
  setBuildState(build: BuildStatus, state: BuildState): void {
    if (build.state === state) return;
    build.state = transition(buildMachine, this.buildTitle(build.target), build.state, state);
    if (state === 'waiting-for-builder') {
      build.waitingSince ??= new Date().toISOString();
      build.startBuilder = `relforge worker --builds ${build.target.distro}/${build.target.arch}`;
    } else {
      delete build.startBuilder;
    }
    this.#record('build', state, platformOf(build.target));
    this.showDetails();
  }

  /** The checksum stage's digests: each file enters the status, and the log, as digested. */
  digested(artifacts: DigestedArtifact[]): void {
    this.artifacts = artifacts;
    this.status.artifacts = [];
    for (const { file, size, sha256, sha512 } of artifacts) {
      const state = transition(artifactMachine, `${this.title()}: artifact ${file}`, undefined, 'digested');
      this.status.artifacts.push({ file, size, sha256, sha512, state });
      this.#record('artifact', state, file);
    }
  }

  /** Each file now in S3, with its public URL; one an earlier attempt of the stage recorded as uploaded stays as it is. */
  uploaded(urls: ReadonlyMap<string, string>): void {
    for (const artifact of this.status.artifacts) {
      const url = urls.get(artifact.file);
      if (url === undefined || artifact.state !== 'digested') continue;
      artifact.url = url;
      this.setArtifactState(artifact, 'uploaded');
    }
  }

  /** Every uploaded file is attached to the published forge release. */
  published(): void {
    for (const artifact of this.status.artifacts) {
      if (artifact.state === 'uploaded') this.setArtifactState(artifact, 'published');
    }
  }

  /**
   * The publish attestation: made, uploaded to S3 and attached to the release by one step after the last stage, so it
   * passes through each of its states at once. A stage run again after a resume finds it listed and leaves it.
   */
  attested(made: { file: string; size: number; sha256: string; sha512: string; url: string }): void {
    if (this.status.artifacts.some((artifact) => artifact.file === made.file)) return;
    const { file, size, sha256, sha512, url } = made;
    const state = transition(artifactMachine, `${this.title()}: artifact ${file}`, undefined, 'digested');
    const artifact = { file, size, sha256, sha512, state, url };
    this.status.artifacts.push(artifact);
    this.#record('artifact', state, file);
    this.setArtifactState(artifact, 'uploaded');
    this.setArtifactState(artifact, 'published');
  }

  /**
   * Ends the run as failed (`cancelled` when an operator aborted it), once its events are in the log; the final status
   * rides along as the failure's details, readable without a worker.
   */
  async fail(error: unknown, ending: 'failed' | 'cancelled' = 'failed'): Promise<never> {
    this.status.error = messageOf(error);
    this.setState(ending);
    await this.#events?.flushed();
    throw releaseFailure(this.status, error);
  }

  private endStage(stage: StageStatus, state: 'succeeded' | 'failed'): void {
    stage.finishedAt = new Date().toISOString();
    this.setStageState(stage, state);
  }

  private setStageState(stage: StageStatus, state: StageState): void {
    stage.state = transition(stageMachine, `${this.title()}: stage ${stage.name}`, stage.state, state);
    this.#record('stage', state, stage.name);
  }

  private setArtifactState(artifact: ReleaseStatus['artifacts'][number], state: ArtifactState): void {
    artifact.state = transition(artifactMachine, `${this.title()}: artifact ${artifact.file}`, artifact.state, state);
    this.#record('artifact', state, artifact.file);
  }

  #record(entity: Entity, state: string, subject?: string): void {
    this.#events?.record(entity, state, subject, this.status);
  }

  private title(): string {
    return `release ${this.input.project} ${this.input.version}`;
  }

  private buildTitle(target: BuildTarget): string {
    return `${this.title()}: build ${platformOf(target)}`;
  }

  private async waitForOperator(stage: StageStatus): Promise<void> {
    this.setStageState(stage, 'waiting');
    this.status.error = stage.error;
    this.setState('waiting');
    this.#decision = undefined;
    await condition(() => this.#decision !== undefined);
    const chosen = this.decided();
    if ('abort' in chosen) return this.abortAt(stage, chosen.abort.reason, chosen.abort.rollback === true);
    this.status.audit.push({
      at: new Date().toISOString(),
      action: 'resume',
      stage: stage.name,
      ...(chosen.resume.note ? { note: chosen.resume.note } : {}),
    });
    if (chosen.resume.reloadConfig) {
      try {
        await this.reloadConfig();
      } catch (error) {
        // The reloaded config is refused: the release fails here instead of waiting on a stage it cannot run.
        this.endStage(stage, 'failed');
        return this.fail(error);
      }
    }
    this.status.error = undefined;
    stage.error = undefined;
    this.setState('running');
  }

  /** An operator's abort of a release that waits at `stage`: recorded, the stage failed, the release cancelled. */
  private async abortAt(stage: StageStatus, reason: string, rollback = false): Promise<never> {
    this.status.audit.push({ at: new Date().toISOString(), action: 'abort', stage: stage.name, note: reason });
    // Only runs aborted with rollback take the new steps; every other history replays as it was recorded.
    if (rollback && patched('abort-rollback')) await rollBack(this);
    this.endStage(stage, 'failed');
    return this.fail(
      ApplicationFailure.nonRetryable(`aborted by an operator: ${reason}`, ReleaseFailureType.ReleaseAborted),
      // Runs recorded before releases logged events ended an abort as failed.
      this.#events ? 'cancelled' : 'failed',
    );
  }

  /** The `approve` update, once its validator accepted it. */
  approve(input: ApproveInput): ApproveResult {
    return this.approvalGate.approve(input);
  }

  private decided(): Decision {
    if (!this.#decision) throw new Error('an operator decision is read before one was made');
    return this.#decision;
  }

  private async reloadConfig(): Promise<void> {
    this.#plan = await reloadedPlan(this.input, this.plan);
    if (this.#plan.configFile) this.status.config = this.#plan.configFile;
  }
}

const platformOf = (target: BuildTarget) => `${target.distro}/${target.arch}`;
