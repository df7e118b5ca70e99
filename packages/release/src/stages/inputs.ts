/**
 * What every release step's input starts from: only the sections of the config and the facts a step needs, so a
 * history grows with the number of artifacts, not with artifacts times the plan. Each stage's own inputs are in its
 * folder (`stages/<stage>/inputs.ts`); built from the plan by the workflow, and by activities from the `{ plan, ... }`
 * inputs that histories recorded before; free of Node imports, like `shared.ts`.
 */
import type { ProjectConfig, ReleaseVersion } from '@relforge/config';
import { isTarball, type ArtifactKind, type BuildTarget, type DigestedArtifact, type ReleasePlan } from '../shared.js';

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

/** The release key as a step is told of it: where the secret is, the public half prepare checked, the keys it follows. */
export interface SigningInput {
  key: NonNullable<Config['signing']>['key'];
  publicKey: string;
  follows: string[];
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

/** A forge release and where its files are downloaded from. */
export interface ForgeReleaseInput {
  forge: Config['forge'];
  repository: string;
  tag: string;
}

/** A repository step: its own section of the config (absent when the config has none), and the tarballs' digests. */
export interface RepoInput<Settings> extends StepRelease {
  forge: Config['forge'];
  settings: Settings | undefined;
  publicBaseUrl: string;
  artifacts: ArtifactDigest[];
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
export function signingOf(plan: ReleasePlan): SigningInput | undefined {
  const { signing } = plan.config;
  if (!signing || !plan.releaseKey) return undefined;
  return { key: signing.key, publicKey: plan.releaseKey.publicKey, follows: signing.follows };
}

export const releaseOf = (plan: ReleasePlan): StepRelease => ({
  project: plan.project,
  version: plan.version,
  workDir: plan.workDir,
});

export function digestsOf(artifacts: (DigestedArtifact | ArtifactDigest)[]): ArtifactDigest[] {
  return artifacts.map(({ file, size, sha256, kind, target }) => ({
    file,
    size,
    sha256,
    kind,
    ...(target ? { target } : {}),
  }));
}

const tarballs = (artifacts: (DigestedArtifact | ArtifactDigest)[]) => digestsOf(artifacts.filter(isTarball));

export function repoOf<Settings>(
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

export const forgeReleaseOf = (plan: ReleasePlan): ForgeReleaseInput => ({
  forge: plan.config.forge,
  repository: plan.config.publish.release.repository,
  tag: plan.tag,
});

export type Artifacts = (DigestedArtifact | ArtifactDigest)[];

/** The publish attestation's input; undefined when there is nothing to attest: the release is not signed, or publishes nothing. */
export function attestPublicationInput(
  plan: ReleasePlan,
  artifacts: Artifacts,
  placed: Placed,
): AttestInput | undefined {
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
    ...(websiteRepo && placed.websitePull ? { websiteRepo: { settings: websiteRepo, pull: placed.websitePull } } : {}),
  };
}

/**
 * A step's input as histories recorded it before steps got only their part: the whole plan, and what the step worked
 * on. A release started on older code can still hand one to a newer worker, so activities accept both.
 */
export type PlanInput<Rest> = { plan: ReleasePlan } & Rest;
