/** What a release needs from a code forge, independent of which forge it is. */

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface ForgeRelease {
  id: number;
  tagName: string;
  name: string;
  draft: boolean;
  prerelease: boolean;
  targetCommitish: string;
  htmlUrl: string;
  uploadUrl: string;
}

export interface ForgeAsset {
  id: number;
  name: string;
  size: number;
  /** Lower-case hex SHA-256 when the forge reports one (GitHub does since 2025). */
  sha256?: string;
  downloadUrl: string;
}

export interface PullRequest {
  number: number;
  htmlUrl: string;
  state: 'open' | 'closed';
  merged: boolean;
  head: { ref: string; sha: string };
  base: { ref: string };
  title: string;
}

export interface NewRelease {
  tag: string;
  name: string;
  targetCommitish: string;
  body: string;
  prerelease: boolean;
}

export interface NewAsset {
  name: string;
  filePath: string;
  size: number;
  contentType: string;
}

export interface NewPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
}

/** How git reaches a repository on this forge: the remote URL and the header that authenticates it. */
export interface GitAccess {
  url: string;
  /** A `http.extraHeader` value; it holds a credential, so it is passed through the environment only. */
  authHeader: string;
}

export interface Forge {
  /** The release for a tag, drafts included (GitHub's by-tag lookup skips drafts, so this lists). */
  findRelease(repo: RepoRef, tag: string): Promise<ForgeRelease | undefined>;
  createDraftRelease(repo: RepoRef, release: NewRelease): Promise<ForgeRelease>;
  listAssets(repo: RepoRef, releaseId: number): Promise<ForgeAsset[]>;
  uploadAsset(repo: RepoRef, release: ForgeRelease, asset: NewAsset): Promise<ForgeAsset>;
  downloadAsset(repo: RepoRef, assetId: number): Promise<Buffer>;
  deleteAsset(repo: RepoRef, assetId: number): Promise<void>;
  /** `latest: false` publishes without making it the repository's latest release (a prerelease). */
  publishRelease(repo: RepoRef, releaseId: number, options?: { latest?: boolean }): Promise<ForgeRelease>;
  /** Deletes a release and its assets; a tag it made stays. */
  deleteRelease(repo: RepoRef, releaseId: number): Promise<void>;
  findPullRequest(repo: RepoRef, head: string, base: string): Promise<PullRequest | undefined>;
  createPullRequest(repo: RepoRef, pull: NewPullRequest): Promise<PullRequest>;
  closePullRequest(repo: RepoRef, number: number): Promise<PullRequest>;
  gitAccess(repo: RepoRef): Promise<GitAccess>;
}

export function parseRepo(fullName: string): RepoRef {
  const [owner, repo, ...rest] = fullName.split('/');
  if (!owner || !repo || rest.length > 0) throw new Error(`expected "owner/name", got "${fullName}"`);
  return { owner, repo };
}

export function repoName(repo: RepoRef): string {
  return `${repo.owner}/${repo.repo}`;
}
