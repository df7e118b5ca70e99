/** What the checksum stage's step receives: the built files, and what it signs with when the config signs. */
import type { ProjectConfig } from '@relforge/config';
import type { Artifact, ReleasePlan } from '../../shared.js';
import { releaseOf, signingOf, type SigningInput, type StagedFiles, type StepRelease } from '../inputs.js';

type Config = ProjectConfig;

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

/** Each step's input from the plan, by activity name. */
export const checksumInputs = {
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
};
