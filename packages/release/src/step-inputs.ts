/**
 * What each release step receives: only the sections of the config and the facts it needs, so a history grows with
 * the number of artifacts, not with artifacts times the plan. Built from the plan by the workflow, and by activities
 * from the `{ plan, ... }` inputs that histories recorded before; free of Node imports, like `shared.ts`.
 */
import type { ProjectConfig, ReleaseVersion } from '@relforge/config';
import {
  isTarball,
  type Artifact,
  type ArtifactKind,
  type BuildTarget,
  type DigestedArtifact,
  type ReleasePlan,
} from './shared.js';

type Config = ProjectConfig;

/**
 * The release a step works for, and its folder on the worker that prepared it: where every step's input starts. A
 * step that handles files works in its own worker's folder for the release, which is this one on a single machine.
 */
export interface StepRelease {
  project: string;
  version: ReleaseVersion;
  workDir: string;
}

/** A step that makes or reads the release's files: the bucket whose staging prefix carries them between machines. */
export interface StagedFiles {
  /** Absent in inputs recorded before files were staged: those steps find every file in `workDir`. */
  staging?: Config['publish']['s3'];
  /** The commit being released; it keys the staged files. */
  commit?: string;
}

/** A checkout of the commit being released. */
export interface SourceInput extends StepRelease, StagedFiles {
  forge: Config['forge'];
  repository: string;
  commit: string;
}

export interface BuildInput extends SourceInput {
  command: Config['build']['command'];
  target: BuildTarget;
}

export interface ChecksumInput extends StepRelease, StagedFiles {
  artifacts: Artifact[];
}

/**
 * What the steps after checksum know of a file: its name, size and SHA-256. The bytes are in the release's
 * artifacts folder on the worker, under the file's name.
 */
export interface ArtifactDigest {
  file: string;
  size: number;
  sha256: string;
  kind: ArtifactKind;
  target?: BuildTarget;
}

export interface UploadInput {
  workDir: string;
  /** Absent in inputs recorded before files were staged. */
  project?: string;
  version?: ReleaseVersion;
  commit?: string;
  s3: Config['publish']['s3'];
  artifacts: ArtifactDigest[];
}

/** A forge release and where its files are downloaded from. */
export interface ForgeReleaseInput {
  forge: Config['forge'];
  repository: string;
  tag: string;
}

export interface DraftInput extends StepRelease, StagedFiles, ForgeReleaseInput {
  releaseName: string;
  commit: string;
  publicBaseUrl: string;
  artifacts: ArtifactDigest[];
  /**
   * A release a person published for this tag, named by a `release` trigger: its assets are added to it instead of a
   * draft's. Any other published release for the tag is still refused.
   */
  adopt?: { releaseId: number };
}

export interface PublishInput extends ForgeReleaseInput {
  releaseId: number;
}

/** A repository step: its own section of the config (absent when the config has none), and the tarballs' digests. */
export interface RepoInput<Settings> extends StepRelease {
  forge: Config['forge'];
  settings: Settings | undefined;
  publicBaseUrl: string;
  artifacts: ArtifactDigest[];
}

export type ChecksumRepoInput = RepoInput<Config['checksumRepo']>;
export interface ContainerRepoInput extends RepoInput<Config['containerRepo']> {
  commit: string;
  /** The container repo's versions file points at the source tarball when there is one. */
  sourceTarball: boolean;
}
export interface WebsiteInput extends RepoInput<Config['websiteRepo']> {
  /** The date on the release page. */
  startedAt: string;
}

const releaseOf = (plan: ReleasePlan): StepRelease => ({
  project: plan.project,
  version: plan.version,
  workDir: plan.workDir,
});

const sourceOf = (plan: ReleasePlan): SourceInput => ({
  ...releaseOf(plan),
  staging: plan.config.publish.s3,
  forge: plan.config.forge,
  repository: plan.config.source.repository,
  commit: plan.sourceCommit,
});

function digestsOf(artifacts: (DigestedArtifact | ArtifactDigest)[]): ArtifactDigest[] {
  return artifacts.map(({ file, size, sha256, kind, target }) => ({
    file,
    size,
    sha256,
    kind,
    ...(target ? { target } : {}),
  }));
}

const tarballs = (artifacts: (DigestedArtifact | ArtifactDigest)[]) => digestsOf(artifacts.filter(isTarball));

function repoOf<Settings>(
  plan: ReleasePlan,
  settings: Settings | undefined,
  artifacts: (DigestedArtifact | ArtifactDigest)[],
): RepoInput<Settings> {
  return {
    ...releaseOf(plan),
    forge: plan.config.forge,
    settings,
    publicBaseUrl: plan.config.publish.s3.publicBaseUrl,
    artifacts: tarballs(artifacts),
  };
}

const forgeReleaseOf = (plan: ReleasePlan): ForgeReleaseInput => ({
  forge: plan.config.forge,
  repository: plan.config.publish.release.repository,
  tag: plan.tag,
});

type Artifacts = (DigestedArtifact | ArtifactDigest)[];

/** Each step's input from the plan, by activity name. */
export const stepInputs = {
  buildTarget: (plan: ReleasePlan, target: BuildTarget): BuildInput => ({
    ...sourceOf(plan),
    command: plan.config.build.command,
    target,
  }),
  buildSourceTarball: sourceOf,
  checksumArtifacts: (plan: ReleasePlan, artifacts: Artifact[]): ChecksumInput => ({
    ...releaseOf(plan),
    staging: plan.config.publish.s3,
    commit: plan.sourceCommit,
    artifacts,
  }),
  uploadArtifacts: (plan: ReleasePlan, artifacts: Artifacts): UploadInput => ({
    ...releaseOf(plan),
    commit: plan.sourceCommit,
    s3: plan.config.publish.s3,
    artifacts: digestsOf(artifacts),
  }),
  stageForgeRelease: (plan: ReleasePlan, artifacts: Artifacts): DraftInput => ({
    ...releaseOf(plan),
    staging: plan.config.publish.s3,
    ...forgeReleaseOf(plan),
    releaseName: plan.releaseName,
    commit: plan.sourceCommit,
    publicBaseUrl: plan.config.publish.s3.publicBaseUrl,
    artifacts: digestsOf(artifacts),
  }),
  publishForgeRelease: (plan: ReleasePlan, releaseId: number): PublishInput => ({ ...forgeReleaseOf(plan), releaseId }),
  updateChecksumRepo: (plan: ReleasePlan, artifacts: Artifacts): ChecksumRepoInput =>
    repoOf(plan, plan.config.checksumRepo, artifacts),
  updateContainerRepo: (plan: ReleasePlan, artifacts: Artifacts): ContainerRepoInput => ({
    ...repoOf(plan, plan.config.containerRepo, artifacts),
    commit: plan.sourceCommit,
    sourceTarball: plan.config.build.sourceTarball,
  }),
  updateWebsite: (plan: ReleasePlan, artifacts: Artifacts): WebsiteInput => ({
    ...repoOf(plan, plan.config.websiteRepo, artifacts),
    startedAt: plan.startedAt,
  }),
};

/**
 * A step's input as histories recorded it before steps got only their part: the whole plan, and what the step worked
 * on. A release started on older code can still hand one to a newer worker, so activities accept both.
 */
export type PlanInput<Rest> = { plan: ReleasePlan } & Rest;
