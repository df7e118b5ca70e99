/**
 * What a stage sees of a release run: the plan, what earlier stages made, and the changes a stage may record. The run
 * (`workflows/release-run.ts`) is the one implementation; stages depend on this contract, not on the run, so the run
 * can call the stages' undo steps without an import circle.
 */
import type {
  Artifact,
  BuildState,
  BuildStatus,
  BuildTarget,
  DigestedArtifact,
  PipelineStage,
  ReleasePlan,
  ReleaseStatus,
  StageStatus,
} from '../shared.js';
import type { Withdrawn } from '../rollback-inputs.js';
import type { ApprovalGate } from './approval/workflow.js';
import type { Placed } from './inputs.js';

export interface StageRun {
  readonly plan: ReleasePlan;
  readonly status: ReleaseStatus;
  /** What the build stage made, before checksum: paths, no digests yet. */
  built: Artifact[];
  /** Every file of the release with the digests the checksum stage recorded; later steps trust only these. */
  readonly artifacts: DigestedArtifact[];
  /** Where the stages after publish put the release, for the publish attestation. */
  readonly placed: Placed;
  /** The forge release the publish stage drafted, once it has: what a rollback deletes unless it is published. */
  draftedRelease: number | undefined;
  readonly approvalGate: ApprovalGate;
  trackBuild(target: BuildTarget, taskQueue: string): BuildStatus;
  setBuildState(build: BuildStatus, state: BuildState): void;
  digested(artifacts: DigestedArtifact[]): void;
  uploaded(urls: ReadonlyMap<string, string>): void;
  adoptedRelease(tag: string): { releaseId: number } | undefined;
  published(): void;
  attested(made: { file: string; size: number; sha256: string; sha512: string; url: string }): void;
}

/** A stage's workflow step: it reads the plan and the artifacts from the run, and returns its outputs for people. */
export type StageStep = (run: StageRun, stage: StageStatus) => Promise<Record<string, string>>;

/** One step of an abort with rollback. */
export interface Compensation {
  /** What it undoes, for the Web UI and for a step that failed for good. */
  summary: string;
  run(): Promise<Withdrawn>;
}

/** A stage's undo: the compensations for what the run did in it, newest effect first; none when it did nothing. */
export type StageUndo = (run: StageRun) => Compensation[];

/** A stage as the pipeline lists it. */
export interface PipelineEntry {
  name: PipelineStage;
  step: StageStep;
  undo?: StageUndo;
}

/** Whether the run began `name` (an attempt that failed may have made effects too). */
export const started = (run: StageRun, name: PipelineStage) =>
  run.status.stages.some((stage) => stage.name === name && (stage.attempts ?? 0) > 0);
