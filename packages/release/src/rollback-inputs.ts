/**
 * What each rollback step receives, built from the plan by the workflow: the same sections of the config the step
 * that made the effect had, so the undo finds it by the same stable key (tag, branch, object key). Free of Node
 * imports, like `step-inputs.ts`.
 */
import type { ProjectConfig } from '@relforge/config';
import type { RollbackItem } from './shared.js';
import type { ForgeReleaseInput } from './stages/inputs.js';
import type { UploadInput } from './stages/publish/inputs.js';

type Config = ProjectConfig;

/** The branch a repository stage pushes its pull request from: fixed by the version, so a rollback finds it. */
export function pullRequestBranch(stage: 'container-repo' | 'website', version: string): string {
  return stage === 'website' ? `update-website-${version}` : `update-${version}`;
}

/** A pull request a repository stage opened (or meant to: its branch may be pushed without one). */
export interface WithdrawPullInput {
  forge: Config['forge'];
  repository: string;
  base: string;
  branch: string;
}

/**
 * Each step is told what the run recorded making, so that what an earlier attempt of the step removed before its
 * worker died is still reported, as gone already, instead of vanishing from the rollback's list.
 */
export interface WithdrawReleaseInput extends ForgeReleaseInput {
  /** The draft the publish stage made, when it got that far. */
  releaseId?: number;
}

/** The S3 objects of the publish stage, and the forge release whose publication makes them public. */
export interface WithdrawUploadsInput extends UploadInput {
  release: ForgeReleaseInput;
  /** The files the run recorded as uploaded. */
  uploaded: string[];
}

/** The release's folder in the private staging prefix. */
export interface WithdrawStagedInput {
  s3: Config['publish']['s3'];
  project: string;
  version: string;
  commit: string;
  /** The files the run's builds and checksum stage made, each staged by the step that made it. */
  files: string[];
}

/** What one rollback step did. */
export interface Withdrawn {
  removed: RollbackItem[];
  kept: RollbackItem[];
}
