/** Client-side entry: the release workflow's contract. Workers load `./workflows` and `./activities`. */
export {
  abortSignal,
  releaseWorkflowId,
  resumeUpdate,
  statusQuery,
  type AbortInput,
  type ResumeInput,
  type Artifact,
  type BuildTarget,
  type DigestedArtifact,
  type ReleaseInput,
  type ReleasePlan,
  type ReleaseState,
  type ReleaseStatus,
  type Stage,
  type StageState,
  type StageStatus,
} from './shared.js';
