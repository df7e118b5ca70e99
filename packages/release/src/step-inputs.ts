/**
 * Every release step's input type, for clients and tests (`@relforge/release/step-inputs`). Each is defined in its
 * stage's folder (`stages/<stage>/inputs.ts`), the shared parts in `stages/inputs.ts`.
 */
import { buildInputs } from './stages/build/inputs.js';
import { checksumRepoInputs } from './stages/checksum-repo/inputs.js';
import { checksumInputs } from './stages/checksum/inputs.js';
import { containerRepoInputs } from './stages/container-repo/inputs.js';
import { publishInputs } from './stages/publish/inputs.js';
import { websiteInputs } from './stages/website/inputs.js';

export type {
  ArtifactDigest,
  AttestInput,
  ForgeReleaseInput,
  Placed,
  PlanInput,
  RepoInput,
  SigningInput,
  StagedFiles,
  StepRelease,
} from './stages/inputs.js';
export type { BuildInput, SourceInput } from './stages/build/inputs.js';
export type { ChecksumInput, ProvenanceInput } from './stages/checksum/inputs.js';
export type { DraftInput, PublishInput, UploadInput } from './stages/publish/inputs.js';
export type { ChecksumRepoInput } from './stages/checksum-repo/inputs.js';
export type { ContainerRepoInput } from './stages/container-repo/inputs.js';
export type { WebsiteInput } from './stages/website/inputs.js';

/** Every step's input builder by its activity's name, for code that calls the activities without the pipeline (the bench's bare workflow). */
export const stepInputs = {
  ...buildInputs,
  ...checksumInputs,
  ...publishInputs,
  ...checksumRepoInputs,
  ...containerRepoInputs,
  ...websiteInputs,
};
