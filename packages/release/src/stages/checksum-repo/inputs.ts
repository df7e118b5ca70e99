/** What the checksum repo stage's step receives: its section of the config, the tarballs' digests, the public key. */
import type { ProjectConfig } from '@relforge/config';
import type { ReleasePlan } from '../../shared.js';
import { repoOf, signingOf, type Artifacts, type RepoInput } from '../inputs.js';

type Config = ProjectConfig;

export interface ChecksumRepoInput extends RepoInput<Config['checksumRepo']> {
  /** The public key published beside the hash file (allowed_signers, PEM), and the keys it may replace. */
  signing?: { publicKey: string; follows: string[] };
}

/** Each step's input from the plan, by activity name. */
export const checksumRepoInputs = {
  updateChecksumRepo: (plan: ReleasePlan, artifacts: Artifacts): ChecksumRepoInput => {
    const signing = signingOf(plan);
    return {
      ...repoOf(plan, plan.config.checksumRepo, artifacts),
      ...(signing ? { signing: { publicKey: signing.publicKey, follows: signing.follows } } : {}),
    };
  },
};
