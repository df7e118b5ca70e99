/**
 * The JSON objects GitHub sends, built from the stand-in's state with every
 * field the OpenAPI schemas require. URLs point at the stand-in itself, so a
 * client that follows one (upload_url, url) stays on loopback.
 */
import type { Caller } from './caller.js';
import type { StoredAsset, StoredDelivery, StoredHook, StoredPull, StoredRelease } from './store.js';

export interface Site {
  /** `http://127.0.0.1:<port>`: API, uploads and web pages all live here. */
  base: string;
}

export interface RepoFacts {
  id: number;
  owner: string;
  name: string;
  createdAt: string;
  defaultBranch: string;
}

const docsBase = 'https://docs.github.com/rest';

/** A stable small id per login, so the same user looks the same in every response. */
function userId(login: string): number {
  let hash = 0;
  for (const char of login) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000;
  return hash + 1;
}

function nodeId(kind: string, id: number): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString('base64');
}

export function githubTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function simpleUser(site: Site, login: string, type: Caller['type'] = 'User'): Record<string, unknown> {
  const api = `${site.base}/users/${encodeURIComponent(login)}`;
  const id = userId(login);
  return {
    login,
    id,
    node_id: nodeId(type, id),
    avatar_url: `${site.base}/avatars/${id}`,
    gravatar_id: '',
    url: api,
    html_url: `${site.base}/${encodeURIComponent(login)}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type,
    site_admin: false,
  };
}

const repoUrlTemplates: Record<string, string> = {
  archive_url: '/{archive_format}{/ref}',
  assignees_url: '/assignees{/user}',
  blobs_url: '/git/blobs{/sha}',
  branches_url: '/branches{/branch}',
  collaborators_url: '/collaborators{/collaborator}',
  comments_url: '/comments{/number}',
  commits_url: '/commits{/sha}',
  compare_url: '/compare/{base}...{head}',
  contents_url: '/contents/{+path}',
  contributors_url: '/contributors',
  deployments_url: '/deployments',
  downloads_url: '/downloads',
  events_url: '/events',
  forks_url: '/forks',
  git_commits_url: '/git/commits{/sha}',
  git_refs_url: '/git/refs{/sha}',
  git_tags_url: '/git/tags{/sha}',
  hooks_url: '/hooks',
  issue_comment_url: '/issues/comments{/number}',
  issue_events_url: '/issues/events{/number}',
  issues_url: '/issues{/number}',
  keys_url: '/keys{/key_id}',
  labels_url: '/labels{/name}',
  languages_url: '/languages',
  merges_url: '/merges',
  milestones_url: '/milestones{/number}',
  notifications_url: '/notifications{?since,all,participating}',
  pulls_url: '/pulls{/number}',
  releases_url: '/releases{/id}',
  stargazers_url: '/stargazers',
  statuses_url: '/statuses/{sha}',
  subscribers_url: '/subscribers',
  subscription_url: '/subscription',
  tags_url: '/tags',
  teams_url: '/teams',
  trees_url: '/git/trees{/sha}',
};

function repoApi(site: Site, repo: Pick<RepoFacts, 'owner' | 'name'>): string {
  return `${site.base}/repos/${repo.owner}/${repo.name}`;
}

/** Satisfies both `repository` (inside pull requests) and `full-repository` (GET /repos/{owner}/{repo}). */
export function repository(site: Site, repo: RepoFacts): Record<string, unknown> {
  const api = repoApi(site, repo);
  const urls = Object.fromEntries(
    Object.entries(repoUrlTemplates).map(([field, suffix]) => [field, `${api}${suffix}`]),
  );
  const web = `${site.base}/${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: simpleUser(site, repo.owner, 'User'),
    private: true,
    html_url: web,
    description: null,
    fork: false,
    url: api,
    ...urls,
    git_url: `${web}.git`,
    ssh_url: `${web}.git`,
    clone_url: `${web}.git`,
    svn_url: web,
    mirror_url: null,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues: 0,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: false,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'private',
    license: null,
    pushed_at: repo.createdAt,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    allow_forking: false,
    web_commit_signoff_required: false,
    network_count: 0,
    subscribers_count: 0,
  };
}

export function releaseAsset(
  site: Site,
  repo: Pick<RepoFacts, 'owner' | 'name'>,
  tagName: string,
  asset: StoredAsset,
): Record<string, unknown> {
  return {
    url: `${repoApi(site, repo)}/releases/assets/${asset.id}`,
    browser_download_url: `${site.base}/${repo.owner}/${repo.name}/releases/download/${encodeURIComponent(tagName)}/${encodeURIComponent(asset.name)}`,
    id: asset.id,
    node_id: nodeId('ReleaseAsset', asset.id),
    name: asset.name,
    label: asset.label,
    state: 'uploaded',
    content_type: asset.contentType,
    size: asset.size,
    digest: `sha256:${asset.sha256}`,
    download_count: 0,
    created_at: asset.createdAt,
    updated_at: asset.createdAt,
    uploader: simpleUser(site, asset.uploader),
  };
}

export function release(
  site: Site,
  repo: Pick<RepoFacts, 'owner' | 'name'>,
  stored: StoredRelease,
  assets: StoredAsset[],
): Record<string, unknown> {
  const api = `${repoApi(site, repo)}/releases/${stored.id}`;
  const web = `${site.base}/${repo.owner}/${repo.name}`;
  // GitHub names a draft's page after a placeholder tag, since the tag does not exist yet.
  const pageTag = stored.draft ? `untagged-${stored.id}` : encodeURIComponent(stored.tagName);
  return {
    url: api,
    html_url: `${web}/releases/tag/${pageTag}`,
    assets_url: `${api}/assets`,
    upload_url: `${site.base}/repos/${repo.owner}/${repo.name}/releases/${stored.id}/assets{?name,label}`,
    tarball_url: stored.draft ? null : `${repoApi(site, repo)}/tarball/${encodeURIComponent(stored.tagName)}`,
    zipball_url: stored.draft ? null : `${repoApi(site, repo)}/zipball/${encodeURIComponent(stored.tagName)}`,
    id: stored.id,
    node_id: nodeId('Release', stored.id),
    tag_name: stored.tagName,
    target_commitish: stored.targetCommitish,
    name: stored.name,
    body: stored.body,
    draft: stored.draft,
    prerelease: stored.prerelease,
    immutable: false,
    created_at: stored.createdAt,
    updated_at: stored.publishedAt ?? stored.createdAt,
    published_at: stored.publishedAt,
    author: simpleUser(site, stored.author, stored.author.endsWith('[bot]') ? 'Bot' : 'User'),
    assets: assets.map((asset) => releaseAsset(site, repo, stored.tagName, asset)),
  };
}

export interface PullRefs {
  headSha: string;
  baseSha: string;
}

/** The full pull-request shape; `simple` leaves out what GitHub omits from list responses. */
export function pullRequest(
  site: Site,
  repo: RepoFacts,
  pull: StoredPull,
  refs: PullRefs,
  simple: boolean,
): Record<string, unknown> {
  const api = repoApi(site, repo);
  const url = `${api}/pulls/${pull.number}`;
  const web = `${site.base}/${repo.owner}/${repo.name}/pull/${pull.number}`;
  const issue = `${api}/issues/${pull.number}`;
  const repoObject = repository(site, repo);
  const side = (ref: string, sha: string) => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: simpleUser(site, repo.owner),
    repo: repoObject,
  });
  const common = {
    url,
    id: pull.id,
    node_id: nodeId('PullRequest', pull.id),
    html_url: web,
    diff_url: `${web}.diff`,
    patch_url: `${web}.patch`,
    issue_url: issue,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${api}/statuses/${refs.headSha}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: simpleUser(site, pull.user, pull.user.endsWith('[bot]') ? 'Bot' : 'User'),
    body: pull.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: pull.createdAt,
    updated_at: pull.closedAt ?? pull.createdAt,
    closed_at: pull.closedAt ?? null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pull.head, refs.headSha),
    base: side(pull.base, refs.baseSha),
    _links: {
      self: { href: url },
      html: { href: web },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${api}/statuses/${refs.headSha}` },
    },
    author_association: 'OWNER',
    auto_merge: null,
    draft: false,
  };
  if (simple) return common;
  return {
    ...common,
    merged: false,
    mergeable: null,
    rebaseable: null,
    mergeable_state: 'unknown',
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}

export function basicError(
  message: string,
  docsPath: string,
): { message: string; documentation_url: string; status?: string } {
  return { message, documentation_url: `${docsBase}${docsPath}` };
}

export interface FieldError {
  resource: string;
  code: string;
  field?: string;
  message?: string;
}

/** GitHub's 422 body: "Validation Failed" with one entry per problem. */
export function validationFailed(errors: FieldError[], docsPath: string): Record<string, unknown> {
  return { message: 'Validation Failed', errors, documentation_url: `${docsBase}${docsPath}`, status: '422' };
}

export function rateLimitOverview(remaining: number, reset: number): Record<string, unknown> {
  const core = { limit: 5000, remaining, reset, used: 5000 - remaining, resource: 'core' };
  const search = { limit: 30, remaining: 30, reset, used: 0, resource: 'search' };
  return { resources: { core, search }, rate: core };
}

/** A repository webhook as `repos/get-webhook` answers it; the secret is never shown, only that there is one. */
export function hook(site: Site, stored: StoredHook): Record<string, unknown> {
  const api = `${site.base}/repos/${stored.repo}/hooks/${stored.id}`;
  return {
    type: 'Repository',
    id: stored.id,
    name: 'web',
    active: stored.active,
    events: stored.events,
    config: {
      url: stored.url,
      content_type: stored.contentType,
      insecure_ssl: stored.insecureSsl,
      ...(stored.secret ? { secret: '********' } : {}),
    },
    updated_at: stored.updatedAt,
    created_at: stored.createdAt,
    url: api,
    test_url: `${api}/test`,
    ping_url: `${api}/pings`,
    deliveries_url: `${api}/deliveries`,
    last_response: stored.lastResponse,
  };
}

/** One delivery in `repos/list-webhook-deliveries`; `full` adds what was sent and answered, as the single GET does. */
export function hookDelivery(
  site: Site,
  stored: StoredDelivery,
  repoId: number,
  full: boolean,
): Record<string, unknown> {
  const item = {
    id: stored.id,
    guid: stored.guid,
    delivered_at: stored.deliveredAt,
    redelivery: stored.redelivery,
    duration: stored.duration,
    status: stored.status,
    status_code: stored.statusCode,
    event: stored.event,
    action: stored.action,
    installation_id: null,
    repository_id: repoId,
  };
  if (!full) return item;
  const json = stored.request.body.startsWith('payload=')
    ? decodeURIComponent(stored.request.body.slice('payload='.length))
    : stored.request.body;
  return {
    ...item,
    url: `${site.base}/repos/${stored.repo}/hooks/${stored.hookId}/deliveries/${stored.id}`,
    request: { headers: stored.request.headers, payload: JSON.parse(json) as unknown },
    response: { headers: stored.response.headers, payload: stored.response.body },
  };
}

/** A commit as webhook payloads describe one (`head_commit`, `commits[]`). */
export interface CommitFacts {
  id: string;
  treeId: string;
  message: string;
  timestamp: string;
  author: { name: string; email: string };
  committer: { name: string; email: string };
}

export function webhookCommit(site: Site, repo: Pick<RepoFacts, 'owner' | 'name'>, commit: CommitFacts) {
  return {
    id: commit.id,
    tree_id: commit.treeId,
    distinct: true,
    message: commit.message,
    timestamp: commit.timestamp,
    url: `${site.base}/${repo.owner}/${repo.name}/commit/${commit.id}`,
    author: commit.author,
    committer: commit.committer,
    added: [],
    removed: [],
    modified: [],
  };
}

const zeroSha = '0'.repeat(40);

/** The `push` event for one ref a push (or a published release's new tag) moved. */
export function pushPayload(
  site: Site,
  repo: RepoFacts,
  update: { ref: string; before?: string; after?: string },
  headCommit: CommitFacts | undefined,
  commits: CommitFacts[],
  pusher: string,
): Record<string, unknown> {
  const before = update.before ?? zeroSha;
  const after = update.after ?? zeroSha;
  return {
    ref: update.ref,
    before,
    after,
    created: update.before === undefined,
    deleted: update.after === undefined,
    forced: false,
    base_ref: null,
    compare: `${site.base}/${repo.owner}/${repo.name}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: commits.map((commit) => webhookCommit(site, repo, commit)),
    head_commit: headCommit ? webhookCommit(site, repo, headCommit) : null,
    repository: repository(site, repo),
    pusher: { name: pusher, email: null },
    sender: simpleUser(site, pusher),
  };
}

/** The `create` event GitHub sends beside `push` when a branch or tag comes to exist. */
export function createPayload(site: Site, repo: RepoFacts, ref: string, sender: string): Record<string, unknown> {
  const tag = ref.startsWith('refs/tags/');
  return {
    ref: ref.replace(/^refs\/(tags|heads)\//, ''),
    ref_type: tag ? 'tag' : 'branch',
    master_branch: repo.defaultBranch,
    description: null,
    pusher_type: 'user',
    repository: repository(site, repo),
    sender: simpleUser(site, sender),
  };
}

export function releasePayload(
  site: Site,
  repo: RepoFacts,
  stored: StoredRelease,
  assets: StoredAsset[],
  action: 'published',
  sender: string,
): Record<string, unknown> {
  return {
    action,
    release: release(site, repo, stored, assets),
    repository: repository(site, repo),
    sender: simpleUser(site, sender),
  };
}

export function pingPayload(site: Site, repo: RepoFacts, stored: StoredHook, sender: string): Record<string, unknown> {
  return {
    zen: 'Keep it logically awesome.',
    hook_id: stored.id,
    hook: hook(site, stored),
    repository: repository(site, repo),
    sender: simpleUser(site, sender),
  };
}
