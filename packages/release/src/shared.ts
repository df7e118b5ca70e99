/**
 * The release workflow's contract: its input, the plan it works from, the
 * status it reports, and the query that reports it. Shared by the workflow,
 * its activities, the worker and every client; free of Node imports.
 */
import { defineQuery } from '@temporalio/workflow';
import type { BuildTarget, ProjectConfig, ReleaseVersion, Stage } from '@relforge/config';

export type { BuildTarget, Stage };

/** What starts a release, from the relforge CLI or the stock `temporal` CLI as plain JSON. */
export interface ReleaseInput {
  project: string;
  version: string;
}

/** One workflow per project and version: a second start of the same id attaches instead of releasing twice. */
export function releaseWorkflowId(project: string, version: string): string {
  return `release/${project}/${version}`;
}

/** Everything a release works from, fixed once at its start and kept in history; secrets are only named. */
export interface ReleasePlan {
  project: string;
  version: ReleaseVersion;
  config: ProjectConfig;
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
}

export type ArtifactKind = 'binary' | 'source' | 'checksums' | 'sidecar';

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

export type StageState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StageStatus {
  name: Stage;
  state: StageState;
  startedAt?: string;
  finishedAt?: string;
  /** What the stage produced, for people: URLs, commit ids, counts. */
  outputs: Record<string, string>;
  error?: string;
}

export type ReleaseState = 'preparing' | 'running' | 'succeeded' | 'failed';

export interface ReleaseStatus {
  project: string;
  version: string;
  state: ReleaseState;
  currentStage?: Stage;
  sourceCommit?: string;
  stages: StageStatus[];
  artifacts: { file: string; size: number; sha256: string; sha512: string; url?: string }[];
  error?: string;
}

export const statusQuery = defineQuery<ReleaseStatus>('status');
