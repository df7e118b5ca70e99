/**
 * The release pipeline: every stage, one line each, in the order a release runs them. A stage is one folder under
 * `stages/`: its workflow step (`workflow.ts`), its activities, its inputs and, where it has effects to take back, its
 * undo. The config's `Stage` enum (@relforge/config, which cannot import this package) lists the same stages in the
 * same order; test/fast/pipeline.test.ts fails when the two disagree.
 */
import type { PipelineStage } from '../shared.js';
import { approvalStage } from './approval/workflow.js';
import { undoBuild } from './build/undo.js';
import { buildStage } from './build/workflow.js';
import { checksumRepoStage } from './checksum-repo/workflow.js';
import { undoChecksumRepo } from './checksum-repo/undo.js';
import { checksumStage } from './checksum/workflow.js';
import { containerRepoStage } from './container-repo/workflow.js';
import { undoPullRequest } from './pull-request-undo.js';
import { undoPublish } from './publish/undo.js';
import { publishStage } from './publish/workflow.js';
import type { Compensation, PipelineEntry, StageRun, StageStep } from './run.js';
import { websiteStage } from './website/workflow.js';

export const pipeline = [
  // Holds for approvals of the digest set; placed before `approval.before`, and only when the config has `approval`.
  { name: 'approval', step: approvalStage },
  // Each matrix target on its platform's queue, and the source tarball; undone by removing the staged files.
  { name: 'build', step: buildStage, undo: undoBuild },
  // Digests every file, and signs them with provenance when the config signs.
  { name: 'checksum', step: checksumStage },
  // Uploads to S3, drafts the forge release, publishes it; undone by deleting the draft and the files, if unpublished.
  { name: 'publish', step: publishStage, undo: undoPublish },
  // Commits the hash lines to the checksum repository; public at once, so the undo keeps it.
  { name: 'checksum-repo', step: checksumRepoStage, undo: undoChecksumRepo },
  // Opens the pull request that points the Dockerfiles at the release; undone by closing it, if unmerged.
  { name: 'container-repo', step: containerRepoStage, undo: undoPullRequest('container-repo') },
  // Opens the pull request that adds the release page; undone by closing it, if unmerged.
  { name: 'website', step: websiteStage, undo: undoPullRequest('website') },
] as const satisfies readonly PipelineEntry[];

/** The workflow step of the stage named `name`. */
export function stepOf(name: PipelineStage): StageStep {
  const entry: PipelineEntry | undefined = pipeline.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no stage ${name} in the pipeline`);
  return entry.step;
}

/** The undo steps for what the run did, newest effect first: the stages' undos in reverse pipeline order. */
export function undoSteps(run: StageRun): Compensation[] {
  return [...pipeline].reverse().flatMap((entry: PipelineEntry) => entry.undo?.(run) ?? []);
}
