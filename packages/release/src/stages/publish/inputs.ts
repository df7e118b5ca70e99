/** What the publish stage's steps receive: the files for S3, the forge release to draft, the draft to publish. */
import type { ProjectConfig, ReleaseVersion } from '@relforge/config';
import type { ReleaseKeyFacts, ReleasePlan } from '../../shared.js';
import {
  digestsOf,
  forgeReleaseOf,
  releaseOf,
  signingOf,
  type ArtifactDigest,
  type Artifacts,
  type ForgeReleaseInput,
  type StagedFiles,
  type StepRelease,
} from '../inputs.js';

type Config = ProjectConfig;

export interface UploadInput {
  workDir: string;
  /** Absent in inputs recorded before files were staged. */
  project?: string;
  version?: ReleaseVersion;
  commit?: string;
  s3: Config['publish']['s3'];
  artifacts: ArtifactDigest[];
  /** The config signs the release: publishing files without their signatures is refused. */
  signed?: boolean;
}

export interface DraftInput extends StepRelease, StagedFiles, ForgeReleaseInput {
  releaseName: string;
  commit: string;
  publicBaseUrl: string;
  artifacts: ArtifactDigest[];
  /** Named in the release notes, so downloaders find the key that signed the release. */
  releaseKey?: ReleaseKeyFacts;
  /**
   * A release a person published for this tag, named by a `release` trigger: its assets are added to it instead of a
   * draft's. Any other published release for the tag is still refused.
   */
  adopt?: { releaseId: number };
}

export interface PublishInput extends ForgeReleaseInput {
  releaseId: number;
}

/** Each step's input from the plan, by activity name. */
export const publishInputs = {
  uploadArtifacts: (plan: ReleasePlan, artifacts: Artifacts): UploadInput => ({
    ...releaseOf(plan),
    commit: plan.sourceCommit,
    s3: plan.config.publish.s3,
    artifacts: digestsOf(artifacts),
    ...(signingOf(plan) ? { signed: true } : {}),
  }),
  stageForgeRelease: (plan: ReleasePlan, artifacts: Artifacts): DraftInput => ({
    ...releaseOf(plan),
    staging: plan.config.publish.s3,
    ...forgeReleaseOf(plan),
    releaseName: plan.releaseName,
    commit: plan.sourceCommit,
    publicBaseUrl: plan.config.publish.s3.publicBaseUrl,
    artifacts: digestsOf(artifacts),
    ...(signingOf(plan) && plan.releaseKey ? { releaseKey: plan.releaseKey } : {}),
  }),
  publishForgeRelease: (plan: ReleasePlan, releaseId: number): PublishInput => ({ ...forgeReleaseOf(plan), releaseId }),
};
