/**
 * Every release step's input type, for clients and tests (`@relforge/release/step-inputs`). Each is defined in its
 * stage's folder (`stages/<stage>/inputs.ts`), the shared parts in `stages/inputs.ts`.
 */
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
