export { ForgeError, toForgeError, type ForgeFailureKind } from './errors.js';
export { GitHubForge, gitRootFor, type GitHubAuth, type GitHubForgeOptions } from './github.js';
export {
  parseRepo,
  repoName,
  type Forge,
  type ForgeAsset,
  type ForgeRelease,
  type GitAccess,
  type NewAsset,
  type NewPullRequest,
  type NewRelease,
  type PullRequest,
  type RepoRef,
} from './types.js';
