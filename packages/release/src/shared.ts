/**
 * The release workflow's contract: its input, the plan it works from, the
 * status it reports, and the query that reports it. Shared by the workflow,
 * its activities, the worker and every client; free of Node imports.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import { RelforgeProject, RelforgeState, RelforgeVersion } from '@relforge/temporal-names';
import type { BuildTarget, ProjectConfig, ReleaseVersion, Stage } from '@relforge/config';
import type { ArtifactState, BuildState, ReleaseState, StageState } from '@relforge/release-states';
import type { ApprovalStatus, StartedBy } from './approval.js';

export type { ArtifactState, BuildState, BuildTarget, ReleaseState, Stage, StageState };

/** A stage of a release run: the config's stages, and the approval stage the workflow places before `approval.before`. */
export type PipelineStage = Stage | 'approval';

/**
 * The `type` of every failure the release workflow and its activities throw on purpose, named once: clients tell a
 * release that is out already from one that failed by comparing with these, never with a string of their own.
 */
export const ReleaseFailureType = {
  /** The version was released by an earlier run; this one did nothing. Its details carry the final status. */
  AlreadyReleased: 'AlreadyReleased',
  /** The release ended without finishing; its details carry the final status. */
  ReleaseFailed: 'ReleaseFailed',
  /** An operator aborted a waiting release. */
  ReleaseAborted: 'ReleaseAborted',
  /** A resume sent to a release that is not waiting for an operator. */
  NotWaiting: 'NotWaiting',
  /** A resume whose input names an unknown field or a value of the wrong type. */
  InvalidResume: 'InvalidResume',
  /** A build command that exited non-zero. */
  BuildFailed: 'BuildFailed',
  /** No approval came before `approval.timeout`, and `approval.onTimeout` is `fail`. */
  ApprovalTimedOut: 'ApprovalTimedOut',
  /** A file a step needs that no step produced. */
  MissingArtifact: 'MissingArtifact',
  /** A published file or release that differs from this release's. */
  DigestConflict: 'DigestConflict',
  /**
   * People could not download what was published: the bucket refused the policy that makes the release prefix
   * public, or a published file's URL does not answer an anonymous GET with its bytes.
   */
  NotDownloadable: 'NotDownloadable',
  /** The forge refused Relforge's credentials or the request. */
  ForgeError: 'ForgeError',
  /** The release's input or config is wrong. */
  InputError: 'InputError',
  /** A secret the config names is not set on the worker. */
  SecretError: 'SecretError',
  /** The release key is unusable (malformed, encrypted, not ed25519), or not the one the project published. */
  ReleaseKeyError: 'ReleaseKeyError',
} as const;
export type ReleaseFailureType = (typeof ReleaseFailureType)[keyof typeof ReleaseFailureType];

/** What starts a release, from the relforge CLI or the stock `temporal` CLI as plain JSON. */
export interface ReleaseInput {
  project: string;
  version: string;
  /**
   * Release a version that was already released, on purpose; without it a second run refuses. It rebuilds from
   * the released tag, and every step still refuses to change a digest already published.
   */
  rerelease?: { reason: string; by?: string };
  /**
   * The sha256 of the config file the caller holds. The worker's file is the one a release runs with; when this is
   * given and differs, the release refuses before doing anything instead of silently using the worker's.
   */
  configSha256?: string;
  /**
   * Build the commit the release tag points at, not `source.ref`: the tag exists already (a person pushed it, or
   * published its release). Set by the gateway for a release a webhook starts; a new run of a lost one keeps it.
   */
  fromTag?: boolean;
  /** Who asked for it, set by the gateway (the webhook's sender) and the CLI (the OS user): the starter may not approve it. */
  startedBy?: StartedBy;
  /**
   * Who started a new run of the release after one was lost (`relforge resume` of a terminated or timed-out run),
   * oldest first. Each started this run as much as `startedBy` did, so the approval stage refuses their approval too.
   */
  resumedBy?: StartedBy[];
}

/**
 * Something outside that asked for this release: a GitHub webhook delivery, sent by the gateway with signal-with-start.
 * A tag push or a published release both imply the tag exists, so a release a trigger started builds the tag's commit.
 */
export interface ReleaseTrigger {
  via: 'github';
  /** `X-GitHub-Delivery`: a redelivery carries the same id, and the workflow records each id once. */
  deliveryId: string;
  /** `push` of the release tag, or `release` (action `published`) for the release repository. */
  event: 'push' | 'release';
  /** When the gateway received the delivery. */
  at: string;
  /** The release tag the event names, e.g. "v1.5.0". */
  tag: string;
  /** Who caused it on the forge: the delivery's `sender.login`. */
  sender?: string;
  /**
   * For a `release` event: the forge release a person published. The publish stage adds the assets to it instead of
   * drafting one; without this, a release published by someone else is refused as a conflict.
   */
  release?: { id: number; url: string };
}

/** One workflow per project and version: a second start of the same id attaches instead of releasing twice. */
export function releaseWorkflowId(project: string, version: string): string {
  return `release/${project}/${version}`;
}

/** The one line the Web UI lists a release run by, set when it starts; the commit shows in its details once known. */
export function releaseSummary(input: ReleaseInput): string {
  const { project, version, rerelease } = input;
  return rerelease ? `re-release ${project} ${version}: ${rerelease.reason}` : `release ${project} ${version}`;
}

/**
 * What a client starts a release's run with, so that it is listed `queued` from the start: no workflow code runs
 * before a worker takes the run, and its first task sets `preparing`.
 */
export function queuedSearchAttributes(input: Pick<ReleaseInput, 'project' | 'version'>): SearchAttributePair[] {
  return [
    { key: RelforgeProject, value: input.project },
    { key: RelforgeVersion, value: input.version },
    { key: RelforgeState, value: 'queued' },
  ];
}

/** The visibility query for the runs of a release's workflow id that completed: the version is out. */
export function completedReleaseQuery(workflowId: string): string {
  return `WorkflowType = "release" AND WorkflowId = ${JSON.stringify(workflowId)} AND ExecutionStatus = "Completed"`;
}

/** A config file pinned by its digest. */
export interface ConfigFile {
  path: string;
  sha256: string;
}

/** Everything a release works from, fixed once at its start and kept in history; secrets are only named. */
export interface ReleasePlan {
  project: string;
  version: ReleaseVersion;
  config: ProjectConfig;
  /** The worker's config file the plan was read from and the sha256 of its bytes (absent in plans recorded before configs were pinned). */
  configFile?: ConfigFile;
  /** The commit `source.ref` named when the release started: what is built and tagged. */
  sourceCommit: string;
  stages: Stage[];
  targets: BuildTarget[];
  tag: string;
  releaseName: string;
  /** Worker-side folder of this release: checkouts, build logs, artifacts. */
  workDir: string;
  /** When the release started, from workflow time: the date on the website page. */
  startedAt: string;
  /** The public half of the release key, checked by prepare against the published one; absent when nothing is signed. */
  releaseKey?: ReleaseKeyFacts;
}

/** A release key as history may hold it: only its public half. */
export interface ReleaseKeyFacts {
  /** `ssh-ed25519 AAAA…` */
  publicKey: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

/**
 * `signature`: a checksums file's SSHSIG signature; `attestation`: a signed in-toto statement (the provenance). Both are
 * published with the others, never listed in hash lines or Dockerfiles.
 */
export type ArtifactKind = 'binary' | 'source' | 'checksums' | 'sidecar' | 'signature' | 'attestation';

/** A built tarball (per target, or the source): what is digested, listed in sums and hash lines, and downloaded. */
export function isTarball(artifact: { kind: ArtifactKind }): boolean {
  return artifact.kind === 'binary' || artifact.kind === 'source';
}

/** A file the release produced: a path on the worker, never its bytes. */
export interface Artifact {
  file: string;
  path: string;
  size: number;
  kind: ArtifactKind;
  target?: BuildTarget;
}

/** An artifact with the digests computed once, at the checksum stage, and re-verified by every later step. */
export interface DigestedArtifact extends Artifact {
  sha256: string;
  sha512: string;
}

export interface StageStatus {
  name: PipelineStage;
  state: StageState;
  startedAt?: string;
  finishedAt?: string;
  /** What the stage produced, for people: URLs, commit ids, counts. */
  outputs: Record<string, string>;
  error?: string;
  /** Times the stage was started: more than one after an operator resumed it. */
  attempts?: number;
}

/*
 * The states of a release (`waiting`: a step failed in a way no retry fixes; the release holds until an operator
 * resumes or aborts it), of its stages, builds and artifacts, and the transitions between them: @relforge/release-states.
 * A build reads `waiting-for-builder` until it ends, since a workflow learns of a build's start only at its end.
 */

/** One matrix target's build, on the task queue of its platform. */
export interface BuildStatus {
  target: BuildTarget;
  taskQueue: string;
  state: BuildState;
  /** When the build was first seen waiting for a builder. */
  waitingSince?: string;
  /** What starts a worker that builds this platform, shown while it waits. */
  startBuilder?: string;
}

export interface ReleaseStatus {
  project: string;
  version: string;
  state: ReleaseState;
  currentStage?: PipelineStage;
  sourceCommit?: string;
  /** The worker's config file this release runs with, pinned by digest. */
  config?: ConfigFile;
  stages: StageStatus[];
  /** The matrix builds, each on its platform's task queue (absent in releases that built everything on one queue). */
  builds?: BuildStatus[];
  artifacts: {
    file: string;
    size: number;
    sha256: string;
    sha512: string;
    url?: string;
    /** Absent in statuses recorded before artifacts had states. */
    state?: ArtifactState;
  }[];
  error?: string;
  /** The triggers that arrived from outside (webhook deliveries), oldest first, each delivery id once. */
  triggers?: ReleaseTrigger[];
  /** Present once an operator aborted with rollback. */
  rollback?: RollbackReport;
  /** What operators did to this release, oldest first; a re-release is recorded when it starts. */
  audit: { at: string; action: 'resume' | 'abort' | 'rerelease'; stage?: PipelineStage; note?: string; by?: string }[];
  /** The approval stage's digest set, rule and approvals, from the moment the stage begins (absent without one). */
  approval?: ApprovalStatus;
}

export const statusQuery = defineQuery<ReleaseStatus>('status');

/** Resume a waiting release: the failed stage runs again; finished stages are not repeated. */
export interface ResumeInput {
  /** Read the project's config again first (e.g. after fixing a repository name or a secret's name). */
  reloadConfig?: boolean;
  /** Why, for the audit trail. */
  note?: string;
}

export interface AbortInput {
  reason: string;
  /**
   * Undo what the release made that was never public, newest first, before it ends `cancelled`; what was public
   * stays. The outcome is the status's `rollback`. Absent or false: an abort leaves everything as it is.
   */
  rollback?: boolean;
}

/** One thing a rollback found: what it is, where, and (for what it kept) why it stayed. */
export interface RollbackItem {
  /** e.g. `draft release v1.5.0 of acme/hello`, `s3://bucket/releases/hello-1.5.0.tar.gz`. */
  what: string;
  /** Why it was kept: what made it public. */
  why?: string;
}

/** What an abort with rollback did: filled step by step, so the status shows a rollback under way. */
export interface RollbackReport {
  state: 'running' | 'done';
  /** Deleted, closed or removed by this rollback. */
  removed: RollbackItem[];
  /** Left in place because it was public. */
  kept: RollbackItem[];
  /** Undo steps that failed for good, each with its error: what they would have removed is still there. */
  failed?: RollbackItem[];
}

export const resumeUpdate = defineUpdate<{ resumed: PipelineStage }, [ResumeInput]>('resume');
export const abortSignal = defineSignal<[AbortInput]>('abort');
/** A trigger from outside; the gateway sends it with signal-with-start, so the first one also starts the release. */
export const triggerSignal = defineSignal<[ReleaseTrigger]>('trigger');
