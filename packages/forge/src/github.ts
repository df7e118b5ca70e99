/**
 * The forge on GitHub's REST API, through Octokit with its retry and
 * throttling plugins: server errors are retried with backoff, rate limits are
 * waited out for as long as GitHub's headers say, and writes are paced per
 * credential as GitHub asks.
 */
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { Lru } from 'toad-cache';
import { toForgeError } from './errors.js';
import type {
  Forge,
  ForgeAsset,
  ForgeRelease,
  GitAccess,
  NewAsset,
  NewPullRequest,
  NewRelease,
  PullRequest,
  RepoRef,
} from './types.js';
import { repoName } from './types.js';

const RelforgeOctokit = Octokit.plugin(retry, throttling);
type Client = InstanceType<typeof RelforgeOctokit>;

export type GitHubAuth =
  { token: string } | { appId: number | string; installationId: number | string; privateKey: string };

export interface GitHubForgeOptions {
  /** REST API root: https://api.github.com, a GitHub Enterprise `/api/v3`, or the stand-in. */
  apiUrl: string;
  /** Git's root; derived from apiUrl when omitted. */
  gitUrl?: string;
  auth: GitHubAuth;
  /** Names the credential in error messages (never its value), e.g. "the token in env RELFORGE_GITHUB_TOKEN". */
  credentialName: string;
  /** How many times a rate-limited request is retried after waiting as told. */
  rateLimitRetries?: number;
  /** Server errors (5xx) retried by plugin-retry. */
  retries?: number;
  /** Called when GitHub says to wait; for logs and heartbeats. */
  onWait?: (reason: string, seconds: number) => void;
}

/**
 * Names the credential a forge writes with, without revealing it. GitHub limits writes per user and per App
 * installation, so plugin-throttling paces writes (one a second, a release three seconds after the last) per throttle
 * id; its default id is one for the whole process, which made every release in a worker wait on every other. The
 * plugin keeps one limiter per id for as long as it is used and drops it two minutes after, so a worker holds one per
 * credential in use, however many releases and forges it creates. A token enters the id only as a hash.
 */
function throttleId(apiUrl: string, auth: GitHubAuth): string {
  if ('token' in auth) return `${apiUrl} token sha256:${createHash('sha256').update(auth.token).digest('hex')}`;
  return `${apiUrl} app ${auth.appId} installation ${auth.installationId}`;
}

/**
 * Installation tokens, shared by every App forge in the process. A release builds a forge per activity, and
 * auth-app's own cache lives in each auth instance, so every activity traded a new JWT for a new token. GitHub
 * issues a token per installation, whichever of the App's private keys signed the JWT, so tokens are keyed by API,
 * App and installation (auth-app appends the installation id and any permissions), never by a private key. Tokens
 * live an hour; dropping them after 50 minutes leaves one handed to git or to an upload at least ten minutes of life.
 * At most 500 installations are held, the least recently used dropped first.
 */
const installationTokens = new Lru<string>(500, 50 * 60 * 1000);

function installationTokenCache(apiUrl: string, appId: number | string) {
  const scope = `${apiUrl} app ${appId} installation `;
  return {
    // auth-app's type wants a string back; it takes an empty one for a miss.
    get: (key: string) => installationTokens.get(scope + key) ?? '',
    set: (key: string, value: string) => installationTokens.set(scope + key, value),
  };
}

export function gitRootFor(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  return `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/$/, '')}`;
}

type ReleaseData = Awaited<ReturnType<Client['rest']['repos']['getRelease']>>['data'];
type AssetData = Awaited<ReturnType<Client['rest']['repos']['getReleaseAsset']>>['data'];
type PullData = Awaited<ReturnType<Client['rest']['pulls']['get']>>['data'];

function toRelease(data: ReleaseData): ForgeRelease {
  return {
    id: data.id,
    tagName: data.tag_name,
    name: data.name ?? data.tag_name,
    draft: data.draft,
    prerelease: data.prerelease,
    targetCommitish: data.target_commitish,
    htmlUrl: data.html_url,
    uploadUrl: data.upload_url,
  };
}

function toAsset(data: AssetData): ForgeAsset {
  const digest = (data as { digest?: string | null }).digest;
  return {
    id: data.id,
    name: data.name,
    size: data.size,
    ...(digest?.startsWith('sha256:') ? { sha256: digest.slice('sha256:'.length) } : {}),
    downloadUrl: data.browser_download_url,
  };
}

interface PullFields extends Pick<PullData, 'number' | 'html_url' | 'merged_at' | 'title'> {
  state: string;
  head: { ref: string; sha: string };
  base: { ref: string };
}

function toPull(data: PullFields): PullRequest {
  return {
    number: data.number,
    htmlUrl: data.html_url,
    state: data.state === 'open' ? 'open' : 'closed',
    merged: Boolean(data.merged_at),
    head: { ref: data.head.ref, sha: data.head.sha },
    base: { ref: data.base.ref },
    title: data.title,
  };
}

export class GitHubForge implements Forge {
  private readonly octokit: Client;
  private readonly options: GitHubForgeOptions;

  constructor(options: GitHubForgeOptions) {
    this.options = options;
    const rateLimitRetries = options.rateLimitRetries ?? 5;
    const onLimit =
      (kind: string) =>
      (retryAfter: number, request: { method: string; url: string }, _: unknown, retryCount: number) => {
        options.onWait?.(`${kind} on ${request.method} ${request.url}`, retryAfter);
        return retryCount < rateLimitRetries;
      };
    const baseUrl = options.apiUrl.replace(/\/$/, '');
    const auth =
      'token' in options.auth
        ? { auth: options.auth.token }
        : {
            authStrategy: createAppAuth,
            auth: {
              appId: options.auth.appId,
              installationId: options.auth.installationId,
              privateKey: options.auth.privateKey,
              cache: installationTokenCache(baseUrl, options.auth.appId),
            },
          };
    this.octokit = new RelforgeOctokit({
      baseUrl,
      userAgent: 'relforge',
      ...auth,
      throttle: {
        id: throttleId(baseUrl, options.auth),
        onRateLimit: onLimit('rate limit'),
        onSecondaryRateLimit: onLimit('secondary rate limit'),
      },
      // 429 is left to the throttling plugin, which waits as long as `retry-after` says; plugin-retry would guess.
      retry: { retries: options.retries ?? 3, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
      // Octokit logs failed requests itself; Relforge reports them once, with the fix.
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
  }

  private async call<T>(action: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toForgeError(error, action, this.options.credentialName);
    }
  }

  async findRelease(repo: RepoRef, tag: string): Promise<ForgeRelease | undefined> {
    const releases = await this.call(`list releases of ${repoName(repo)}`, () =>
      this.octokit.paginate(this.octokit.rest.repos.listReleases, { ...repo, per_page: 100 }),
    );
    // Several drafts can share a tag on GitHub; the oldest one is the release this tool created first.
    const matching = releases.filter((release) => release.tag_name === tag).sort((a, b) => a.id - b.id);
    const published = matching.find((release) => !release.draft);
    const chosen = published ?? matching[0];
    return chosen ? toRelease(chosen) : undefined;
  }

  async createDraftRelease(repo: RepoRef, release: NewRelease): Promise<ForgeRelease> {
    const { data } = await this.call(`create a draft release ${release.tag} in ${repoName(repo)}`, () =>
      this.octokit.rest.repos.createRelease({
        ...repo,
        tag_name: release.tag,
        target_commitish: release.targetCommitish,
        name: release.name,
        body: release.body,
        draft: true,
        prerelease: release.prerelease,
      }),
    );
    return toRelease(data);
  }

  async listAssets(repo: RepoRef, releaseId: number): Promise<ForgeAsset[]> {
    const assets = await this.call(`list the assets of release ${releaseId} in ${repoName(repo)}`, () =>
      this.octokit.paginate(this.octokit.rest.repos.listReleaseAssets, {
        ...repo,
        release_id: releaseId,
        per_page: 100,
      }),
    );
    return assets.map(toAsset);
  }

  async uploadAsset(repo: RepoRef, release: ForgeRelease, asset: NewAsset): Promise<ForgeAsset> {
    // A Blob backed by the file streams it; the bytes never sit in memory whole.
    const body = await openAsBlob(asset.filePath, { type: asset.contentType });
    const { data } = await this.call(`upload ${asset.name} to release ${release.tagName} of ${repoName(repo)}`, () =>
      this.octokit.request({
        method: 'POST',
        url: release.uploadUrl,
        name: asset.name,
        data: body,
        headers: { 'content-type': asset.contentType, 'content-length': asset.size },
      }),
    );
    return toAsset(data as AssetData);
  }

  async downloadAsset(repo: RepoRef, assetId: number): Promise<Buffer> {
    const { data } = await this.call(`download asset ${assetId} of ${repoName(repo)}`, () =>
      this.octokit.rest.repos.getReleaseAsset({
        ...repo,
        asset_id: assetId,
        headers: { accept: 'application/octet-stream' },
      }),
    );
    return Buffer.from(data as unknown as ArrayBuffer);
  }

  async deleteAsset(repo: RepoRef, assetId: number): Promise<void> {
    await this.call(`delete asset ${assetId} of ${repoName(repo)}`, () =>
      this.octokit.rest.repos.deleteReleaseAsset({ ...repo, asset_id: assetId }),
    );
  }

  async publishRelease(repo: RepoRef, releaseId: number, options: { latest?: boolean } = {}): Promise<ForgeRelease> {
    const { data } = await this.call(`publish release ${releaseId} of ${repoName(repo)}`, () =>
      this.octokit.rest.repos.updateRelease({
        ...repo,
        release_id: releaseId,
        draft: false,
        // Left out unless refused: GitHub's default makes a published release the latest.
        ...(options.latest === false ? { make_latest: 'false' as const } : {}),
      }),
    );
    return toRelease(data);
  }

  async deleteRelease(repo: RepoRef, releaseId: number): Promise<void> {
    await this.call(`delete release ${releaseId} of ${repoName(repo)}`, () =>
      this.octokit.rest.repos.deleteRelease({ ...repo, release_id: releaseId }),
    );
  }

  async closePullRequest(repo: RepoRef, number: number): Promise<PullRequest> {
    const { data } = await this.call(`close pull request #${number} of ${repoName(repo)}`, () =>
      this.octokit.rest.pulls.update({ ...repo, pull_number: number, state: 'closed' }),
    );
    return toPull(data);
  }

  async findPullRequest(repo: RepoRef, head: string, base: string): Promise<PullRequest | undefined> {
    const pulls = await this.call(`list pull requests from ${head} in ${repoName(repo)}`, () =>
      this.octokit.paginate(this.octokit.rest.pulls.list, {
        ...repo,
        head: `${repo.owner}:${head}`,
        base,
        state: 'all',
        per_page: 100,
      }),
    );
    // An open one wins; otherwise the newest closed one tells the caller the update was already handled.
    const sorted = pulls.sort((a, b) => b.number - a.number);
    const chosen = sorted.find((pull) => pull.state === 'open') ?? sorted[0];
    return chosen ? toPull(chosen) : undefined;
  }

  async createPullRequest(repo: RepoRef, pull: NewPullRequest): Promise<PullRequest> {
    const { data } = await this.call(
      `open a pull request from ${pull.head} into ${pull.base} of ${repoName(repo)}`,
      () =>
        this.octokit.rest.pulls.create({
          ...repo,
          head: pull.head,
          base: pull.base,
          title: pull.title,
          body: pull.body,
        }),
    );
    return toPull(data);
  }

  async gitAccess(repo: RepoRef): Promise<GitAccess> {
    const token =
      'token' in this.options.auth
        ? this.options.auth.token
        : (
            (await this.call('get a GitHub App installation token', () =>
              this.octokit.auth({ type: 'installation' }),
            )) as { token: string }
          ).token;
    return {
      url: `${this.options.gitUrl?.replace(/\/$/, '') ?? gitRootFor(this.options.apiUrl)}/${repo.owner}/${repo.repo}.git`,
      authHeader: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
    };
  }
}
