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
  type ReleaseKeyFacts,
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

/** The release key as a step is told of it: where the secret is, the public half prepare checked, the keys it follows. */
export interface SigningInput {
  key: NonNullable<Config['signing']>['key'];
  publicKey: string;
  follows: string[];
}

/** What the checksum stage signs with, and the facts of the build its provenance states. */
export interface ProvenanceInput extends SigningInput {
  forge: Config['forge'];
  /** Where signing files published by an earlier run are found, so a later run keeps them instead of making others. */
  s3: Config['publish']['s3'];
  repository: string;
  commit: string;
  configSha256?: string;
  startedAt: string;
  /** When the builds had all ended, from workflow time. */
  builtAt?: string;
}

export interface ChecksumInput extends StepRelease, StagedFiles {
  artifacts: Artifact[];
  /** Absent when the config signs nothing (and in histories recorded before releases were signed). */
  signing?: ProvenanceInput;
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
  /** The config signs the release: publishing files without their signatures is refused. */
  signed?: boolean;
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

/** A repository step: its own section of the config (absent when the config has none), and the tarballs' digests. */
export interface RepoInput<Settings> extends StepRelease {
  forge: Config['forge'];
  settings: Settings | undefined;
  publicBaseUrl: string;
  artifacts: ArtifactDigest[];
}

export interface ChecksumRepoInput extends RepoInput<Config['checksumRepo']> {
  /** The public key published beside the hash file (allowed_signers, PEM), and the keys it may replace. */
  signing?: { publicKey: string; follows: string[] };
}
export interface ContainerRepoInput extends RepoInput<Config['containerRepo']> {
  commit: string;
  /** The container repo's versions file points at the source tarball when there is one. */
  sourceTarball: boolean;
}
export interface WebsiteInput extends RepoInput<Config['websiteRepo']> {
  /** The date on the release page. */
  startedAt: string;
}

/** Where a release's files were put by the stages after publish, for the publish attestation. */
export interface Placed {
  /** The checksum repository's commit that holds the release's hash lines. */
  checksumCommit?: string;
  containerPull?: { url: string; branch: string };
  websitePull?: { url: string; branch: string };
}

/**
 * The publish attestation's input: where everything went, each place checked again by the step itself. The tarballs
 * are listed once, in `artifacts`, not again per repository.
 */
export interface AttestInput extends StepRelease {
  forge: Config['forge'];
  s3: Config['publish']['s3'];
  release: ForgeReleaseInput;
  signing: SigningInput;
  commit: string;
  artifacts: ArtifactDigest[];
  checksumRepo?: { settings: NonNullable<Config['checksumRepo']>; commit: string };
  containerRepo?: {
    settings: NonNullable<Config['containerRepo']>;
    sourceTarball: boolean;
    pull: { url: string; branch: string };
  };
  websiteRepo?: { settings: NonNullable<Config['websiteRepo']>; pull: { url: string; branch: string } };
}

/** The release key, when the config signs and prepare checked the key (plans recorded before signing have none). */
function signingOf(plan: ReleasePlan): SigningInput | undefined {
  const { signing } = plan.config;
  if (!signing || !plan.releaseKey) return undefined;
  return { key: signing.key, publicKey: plan.releaseKey.publicKey, follows: signing.follows };
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
  checksumArtifacts: (plan: ReleasePlan, artifacts: Artifact[], builtAt?: string): ChecksumInput => {
    const signing = signingOf(plan);
    return {
      ...releaseOf(plan),
      staging: plan.config.publish.s3,
      commit: plan.sourceCommit,
      artifacts,
      ...(signing
        ? {
            signing: {
              ...signing,
              forge: plan.config.forge,
              s3: plan.config.publish.s3,
              repository: plan.config.source.repository,
              commit: plan.sourceCommit,
              ...(plan.configFile ? { configSha256: plan.configFile.sha256 } : {}),
              startedAt: plan.startedAt,
              ...(builtAt ? { builtAt } : {}),
            },
          }
        : {}),
    };
  },
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
  updateChecksumRepo: (plan: ReleasePlan, artifacts: Artifacts): ChecksumRepoInput => {
    const signing = signingOf(plan);
    return {
      ...repoOf(plan, plan.config.checksumRepo, artifacts),
      ...(signing ? { signing: { publicKey: signing.publicKey, follows: signing.follows } } : {}),
    };
  },
  updateContainerRepo: (plan: ReleasePlan, artifacts: Artifacts): ContainerRepoInput => ({
    ...repoOf(plan, plan.config.containerRepo, artifacts),
    commit: plan.sourceCommit,
    sourceTarball: plan.config.build.sourceTarball,
  }),
  updateWebsite: (plan: ReleasePlan, artifacts: Artifacts): WebsiteInput => ({
    ...repoOf(plan, plan.config.websiteRepo, artifacts),
    startedAt: plan.startedAt,
  }),
  /** Undefined when there is nothing to attest: the release is not signed, or publishes nothing. */
  attestPublication: (plan: ReleasePlan, artifacts: Artifacts, placed: Placed): AttestInput | undefined => {
    const signing = signingOf(plan);
    if (!signing || !plan.stages.includes('publish')) return undefined;
    const { checksumRepo, containerRepo, websiteRepo } = plan.config;
    return {
      ...releaseOf(plan),
      forge: plan.config.forge,
      s3: plan.config.publish.s3,
      release: forgeReleaseOf(plan),
      signing,
      commit: plan.sourceCommit,
      artifacts: digestsOf(artifacts),
      ...(checksumRepo && placed.checksumCommit
        ? { checksumRepo: { settings: checksumRepo, commit: placed.checksumCommit } }
        : {}),
      ...(containerRepo && placed.containerPull
        ? {
            containerRepo: {
              settings: containerRepo,
              sourceTarball: plan.config.build.sourceTarball,
              pull: placed.containerPull,
            },
          }
        : {}),
      ...(websiteRepo && placed.websitePull
        ? { websiteRepo: { settings: websiteRepo, pull: placed.websitePull } }
        : {}),
    };
  },
};

/**
 * A step's input as histories recorded it before steps got only their part: the whole plan, and what the step worked
 * on. A release started on older code can still hand one to a newer worker, so activities accept both.
 */
export type PlanInput<Rest> = { plan: ReleasePlan } & Rest;
