export {
  contractViolation,
  createRepoInput,
  faultInput,
  standInState,
  type ContractViolation,
  type CreatedRepo,
  type CreateRepoInput,
  type Fault,
  type FaultInput,
  type StandInState,
} from './admin-schema.js';
export { appKeyPair, type AppSettings } from './auth.js';
export {
  Contract,
  loadContract,
  servedOperationIds,
  type ContractIssue,
  type Operation,
  type OperationId,
} from './contract.js';
export { spawnGitHubStandIn, StandInAdmin, type RunningStandIn, type SpawnStandInOptions } from './spawn.js';
export {
  createTeamInput,
  createUserInput,
  setCollaboratorInput,
  type CreatedUser,
  type CreateTeamInput,
  type CreateUserInput,
  type SetCollaboratorInput,
} from './people.js';
