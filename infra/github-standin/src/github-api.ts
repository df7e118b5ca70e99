/**
 * The GitHub REST operations the stand-in serves, with GitHub's rules: drafts
 * visible only to the list and by id, one published release per tag, a real
 * git tag on publish, unique asset names, pull requests only between real
 * branches and never two open for the same pair.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { OperationId } from './contract.js';
import {
  bareRepoExists,
  bareRepoPath,
  branchCommit,
  defaultBranchOf,
  ensureTag,
  isValidTagName,
  resolveCommit,
} from './git.js';
import { peopleApi } from './people-api.js';
import {
  basicError,
  githubTime,
  hook,
  hookDelivery,
  pullRequest,
  rateLimitOverview,
  release,
  releaseAsset,
  repository,
  validationFailed,
  type FieldError,
  type RepoFacts,
} from './shapes.js';
import type { StoredAsset, StoredHook, StoredRelease } from './store.js';
import { cleanupApi } from './cleanup-api.js';
import type { ApiDeps, ApiRequest, Reply } from './api-types.js';

export type { ApiDeps, ApiRequest, Reply } from './api-types.js';

type Handler = (request: ApiRequest) => Promise<Reply>;

const docs = {
  repos: '/repos/repos#get-a-repository',
  releases: '/releases/releases',
  assets: '/releases/assets',
  pulls: '/pulls/pulls',
  apps: '/apps/apps#create-an-installation-access-token-for-an-app',
  hooks: '/repos/webhooks',
};

function notFound(): Reply {
  return { status: 404, json: basicError('Not Found', '') };
}

/** GitHub's 422 "Validation Failed", naming the one field or rule the request broke. */
function validationReply(error: FieldError, docsPath: string): Reply {
  return { status: 422, json: validationFailed([error], docsPath) };
}

function str(body: unknown, field: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' ? value : undefined;
}

function bool(body: unknown, field: string): boolean | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'boolean' ? value : undefined;
}

/** GitHub's pagination: per_page up to 100, pages from 1, and a Link header with the neighbours. */
function paginate<T>(
  items: T[],
  query: Record<string, string>,
  selfUrl: string,
): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Math.max(Number(query['per_page'] ?? 30) || 30, 1), 100);
  const pageNumber = Math.max(Number(query['page'] ?? 1) || 1, 1);
  const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (page: number, rel: string) => {
    const url = new URL(selfUrl);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(page));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNumber > 1) links.push(link(pageNumber - 1, 'prev'));
  if (pageNumber < lastPage) links.push(link(pageNumber + 1, 'next'), link(lastPage, 'last'));
  if (pageNumber > 1) links.push(link(1, 'first'));
  return {
    page: items.slice((pageNumber - 1) * perPage, pageNumber * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

/** Every served operation. */
export function githubApi(deps: ApiDeps): Record<OperationId, Handler> {
  const { site, store } = deps;

  async function repoOf(params: Record<string, string>): Promise<(RepoFacts & { path: string }) | undefined> {
    const owner = params['owner'] ?? '';
    const name = params['repo'] ?? '';
    const known = store.data.repos[`${owner}/${name}`];
    const path = bareRepoPath(deps.gitRoot, owner, name);
    if (!known || !bareRepoExists(path)) return undefined;
    return { ...known, path, defaultBranch: await defaultBranchOf(path) };
  }

  function assetsOf(releaseId: number): StoredAsset[] {
    return store.data.assets.filter((asset) => asset.releaseId === releaseId);
  }

  function releaseIn(repo: RepoFacts, id: string | undefined): StoredRelease | undefined {
    return store.data.releases.find(
      (stored) => stored.repo === `${repo.owner}/${repo.name}` && String(stored.id) === id,
    );
  }

  function releaseJson(repo: RepoFacts, stored: StoredRelease): unknown {
    return release(site, repo, stored, assetsOf(stored.id));
  }

  function publishedWithTag(repo: RepoFacts, tag: string, except?: number): StoredRelease | undefined {
    return store.data.releases.find(
      (stored) =>
        stored.repo === `${repo.owner}/${repo.name}` && stored.tagName === tag && !stored.draft && stored.id !== except,
    );
  }

  const alreadyExists = (): Reply =>
    validationReply(
      { resource: 'Release', code: 'already_exists', field: 'tag_name' },
      `${docs.releases}#create-a-release`,
    );

  /** Publishing makes the tag real: at the target commit, unless the tag is already there. */
  async function tagForPublish(
    repo: RepoFacts & { path: string },
    stored: StoredRelease,
    sender: string,
  ): Promise<Reply | undefined> {
    if (await resolveCommit(repo.path, `refs/tags/${stored.tagName}`)) return undefined;
    const commit = await resolveCommit(repo.path, stored.targetCommitish);
    if (!commit) {
      return validationReply(
        { resource: 'Release', code: 'invalid', field: 'target_commitish' },
        `${docs.releases}#create-a-release`,
      );
    }
    await ensureTag(repo.path, stored.tagName, commit);
    // A tag a release made is pushed as far as webhooks go: GitHub sends `create` and `push` for it too.
    await deps.events.refsMoved(repo, [{ ref: `refs/tags/${stored.tagName}`, after: commit }], sender);
    return undefined;
  }

  function hookIn(repo: RepoFacts, id: string | undefined): StoredHook | undefined {
    return store.data.hooks.find((stored) => stored.repo === `${repo.owner}/${repo.name}` && String(stored.id) === id);
  }

  /** The fields of `config` a hook takes, as create and update send them; the rest of the body is checked by the contract. */
  function hookConfig(body: unknown): Partial<Pick<StoredHook, 'url' | 'contentType' | 'secret' | 'insecureSsl'>> {
    const config = (body as { config?: Record<string, unknown> } | undefined)?.config ?? {};
    const text = (field: string) => (typeof config[field] === 'string' ? (config[field] as string) : undefined);
    const insecure = config['insecure_ssl'];
    return {
      ...(text('url') !== undefined ? { url: text('url') } : {}),
      ...(text('content_type') !== undefined ? { contentType: text('content_type') === 'json' ? 'json' : 'form' } : {}),
      ...(text('secret') !== undefined ? { secret: text('secret') || null } : {}),
      ...(insecure !== undefined ? { insecureSsl: String(insecure) } : {}),
    };
  }

  async function pullJson(
    repo: RepoFacts & { path: string },
    pull: (typeof store.data.pulls)[number],
    simple: boolean,
  ): Promise<unknown> {
    // Heads follow pushes, as at GitHub: read the refs now rather than remembering them.
    const headSha = (await branchCommit(repo.path, pull.head)) ?? '0'.repeat(40);
    const baseSha = (await branchCommit(repo.path, pull.base)) ?? '0'.repeat(40);
    return pullRequest(site, repo, pull, { headSha, baseSha }, simple);
  }

  /**
   * GitHub's make_latest: "true" (the default when a release is published) makes it the latest, "false" leaves the
   * latest alone; drafts and prereleases never become latest. "legacy" (by date and version) is treated as "true".
   */
  function markLatest(stored: StoredRelease, makeLatest: string | undefined, publishing: boolean): void {
    if (stored.draft || stored.prerelease || makeLatest === 'false') return;
    if (makeLatest === undefined && !publishing) return;
    stored.latestAt = new Date().toISOString();
  }

  return {
    ...cleanupApi({ store, repoOf, releaseIn, pullJson }),
    ...peopleApi(deps, repoOf),
    'repos/get': async ({ params }) => {
      const repo = await repoOf(params);
      return repo ? { status: 200, json: repository(site, repo) } : notFound();
    },

    'repos/list-releases': async ({ params, query }) => {
      const repo = await repoOf(params);
      if (!repo) return notFound();
      // Callers with push access see drafts too; newest first.
      const all = store.data.releases
        .filter((stored) => stored.repo === `${repo.owner}/${repo.name}`)
        .sort((a, b) => b.id - a.id);
      const { page, headers } = paginate(all, query, `${site.base}/repos/${repo.owner}/${repo.name}/releases`);
      return { status: 200, json: page.map((stored) => releaseJson(repo, stored)), headers };
    },

    'repos/create-release': async ({ params, body, caller }) => {
      const repo = await repoOf(params);
      if (!repo) return { status: 404, json: basicError('Not Found', `${docs.releases}#create-a-release`) };
      const tagName = str(body, 'tag_name') ?? '';
      if (!(await isValidTagName(tagName))) {
        return validationReply(
          { resource: 'Release', code: 'invalid', field: 'tag_name' },
          `${docs.releases}#create-a-release`,
        );
      }
      if (publishedWithTag(repo, tagName)) return alreadyExists();
      const draft = bool(body, 'draft') ?? false;
      const stored: StoredRelease = {
        id: store.newId(),
        repo: `${repo.owner}/${repo.name}`,
        tagName,
        targetCommitish: str(body, 'target_commitish') ?? repo.defaultBranch,
        name: str(body, 'name') ?? null,
        body: str(body, 'body') ?? null,
        draft,
        prerelease: bool(body, 'prerelease') ?? false,
        createdAt: githubTime(),
        publishedAt: null,
        author: caller?.login ?? 'ghost',
      };
      if (!draft) {
        const refused = await tagForPublish(repo, stored, stored.author);
        if (refused) return refused;
        stored.publishedAt = stored.createdAt;
      }
      markLatest(stored, str(body, 'make_latest'), !draft);
      store.data.releases.push(stored);
      store.save();
      if (!draft) deps.events.releasePublished(repo, stored, assetsOf(stored.id), stored.author);
      return {
        status: 201,
        json: releaseJson(repo, stored),
        headers: { location: `${site.base}/repos/${repo.owner}/${repo.name}/releases/${stored.id}` },
      };
    },

    'repos/get-release': async ({ params }) => {
      const repo = await repoOf(params);
      const stored = repo && releaseIn(repo, params['release_id']);
      return repo && stored ? { status: 200, json: releaseJson(repo, stored) } : notFound();
    },

    'repos/get-latest-release': async ({ params }) => {
      const repo = await repoOf(params);
      const latest =
        repo &&
        store.data.releases
          .filter((stored) => stored.repo === `${repo.owner}/${repo.name}` && !stored.draft && !stored.prerelease)
          .filter((stored) => stored.latestAt)
          .sort((a, b) => (a.latestAt ?? '').localeCompare(b.latestAt ?? '') || a.id - b.id)
          .at(-1);
      return repo && latest ? { status: 200, json: releaseJson(repo, latest) } : notFound();
    },

    'repos/get-release-by-tag': async ({ params }) => {
      const repo = await repoOf(params);
      const stored = repo && publishedWithTag(repo, params['tag'] ?? '');
      return repo && stored ? { status: 200, json: releaseJson(repo, stored) } : notFound();
    },

    'repos/update-release': async ({ params, body, caller }) => {
      const repo = await repoOf(params);
      const stored = repo && releaseIn(repo, params['release_id']);
      if (!repo || !stored) return { status: 404, json: basicError('Not Found', `${docs.releases}#update-a-release`) };
      const next: StoredRelease = {
        ...stored,
        tagName: str(body, 'tag_name') ?? stored.tagName,
        targetCommitish: str(body, 'target_commitish') ?? stored.targetCommitish,
        name: str(body, 'name') ?? stored.name,
        body: str(body, 'body') ?? stored.body,
        draft: bool(body, 'draft') ?? stored.draft,
        prerelease: bool(body, 'prerelease') ?? stored.prerelease,
      };
      if (!(await isValidTagName(next.tagName))) {
        return validationReply(
          { resource: 'Release', code: 'invalid', field: 'tag_name' },
          `${docs.releases}#update-a-release`,
        );
      }
      if (!next.draft) {
        if (publishedWithTag(repo, next.tagName, next.id)) return alreadyExists();
        const refused = await tagForPublish(repo, next, caller?.login ?? 'ghost');
        if (refused) return refused;
        next.publishedAt = stored.publishedAt ?? githubTime();
      }
      const published = stored.draft && !next.draft;
      Object.assign(stored, next);
      markLatest(stored, str(body, 'make_latest'), published);
      store.save();
      if (published) deps.events.releasePublished(repo, stored, assetsOf(stored.id), caller?.login ?? 'ghost');
      return { status: 200, json: releaseJson(repo, stored) };
    },

    'repos/list-release-assets': async ({ params, query }) => {
      const repo = await repoOf(params);
      const stored = repo && releaseIn(repo, params['release_id']);
      if (!repo || !stored) return notFound();
      const { page, headers } = paginate(
        assetsOf(stored.id),
        query,
        `${site.base}/repos/${repo.owner}/${repo.name}/releases/${stored.id}/assets`,
      );
      return { status: 200, json: page.map((asset) => releaseAsset(site, repo, stored.tagName, asset)), headers };
    },

    'repos/upload-release-asset': async ({ params, query, raw, caller }) => {
      const repo = await repoOf(params);
      const stored = repo && releaseIn(repo, params['release_id']);
      if (!repo || !stored) {
        raw.resume();
        return notFound();
      }
      const name = query['name'] ?? '';
      // The body is read whole even when it will be refused, so the client sees the answer rather than a reset connection.
      const temporary = join(store.assetsDir, `upload-${randomBytes(6).toString('hex')}`);
      const hash = createHash('sha256');
      let size = 0;
      raw.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
      });
      try {
        await pipeline(raw, createWriteStream(temporary));
      } catch (error) {
        rmSync(temporary, { force: true });
        throw error;
      }
      if (assetsOf(stored.id).some((asset) => asset.name === name)) {
        rmSync(temporary, { force: true });
        store.data.rejectedUploads.push({ releaseId: stored.id, name, reason: 'already_exists' });
        store.save();
        return validationReply(
          { resource: 'ReleaseAsset', code: 'already_exists', field: 'name' },
          `${docs.assets}#upload-a-release-asset`,
        );
      }
      const asset: StoredAsset = {
        id: store.newId(),
        releaseId: stored.id,
        name,
        label: query['label'] ?? null,
        contentType: raw.headers['content-type'] ?? 'application/octet-stream',
        size,
        sha256: hash.digest('hex'),
        createdAt: githubTime(),
        uploader: caller?.login ?? 'ghost',
      };
      renameSync(temporary, store.assetFile(asset.id));
      store.data.assets.push(asset);
      const uploadKey = `${stored.id}/${name}`;
      store.data.uploads[uploadKey] = (store.data.uploads[uploadKey] ?? 0) + 1;
      store.save();
      return { status: 201, json: releaseAsset(site, repo, stored.tagName, asset) };
    },

    'repos/get-release-asset': async ({ params, raw }) => {
      const repo = await repoOf(params);
      const asset = repo && store.data.assets.find((candidate) => String(candidate.id) === params['asset_id']);
      const owner =
        asset &&
        store.data.releases.find(
          (stored) => stored.id === asset.releaseId && stored.repo === `${repo.owner}/${repo.name}`,
        );
      if (!repo || !asset || !owner) return notFound();
      // GitHub answers the binary Accept with a redirect to short-lived, credential-free storage.
      if ((raw.headers.accept ?? '').includes('application/octet-stream')) {
        return { status: 302, headers: { location: deps.signedAssetUrl(asset.id) } };
      }
      return { status: 200, json: releaseAsset(site, repo, owner.tagName, asset) };
    },

    'repos/delete-release-asset': async ({ params }) => {
      const repo = await repoOf(params);
      const index = store.data.assets.findIndex((candidate) => String(candidate.id) === params['asset_id']);
      const asset = store.data.assets[index];
      const owner =
        repo &&
        asset &&
        store.data.releases.find(
          (stored) => stored.id === asset.releaseId && stored.repo === `${repo.owner}/${repo.name}`,
        );
      if (!asset || !owner) return notFound();
      store.data.assets.splice(index, 1);
      store.save();
      rmSync(store.assetFile(asset.id), { force: true });
      return { status: 204 };
    },

    'pulls/list': async ({ params, query }) => {
      const repo = await repoOf(params);
      if (!repo) return notFound();
      const state = query['state'] ?? 'open';
      const head = query['head'];
      const matches = store.data.pulls
        .filter((pull) => pull.repo === `${repo.owner}/${repo.name}`)
        .filter((pull) => state === 'all' || pull.state === state)
        .filter((pull) => !head || `${repo.owner}:${pull.head}` === head || (!head.includes(':') && pull.head === head))
        .filter((pull) => !query['base'] || pull.base === query['base'])
        .sort((a, b) => b.number - a.number);
      const { page, headers } = paginate(matches, query, `${site.base}/repos/${repo.owner}/${repo.name}/pulls`);
      return { status: 200, json: await Promise.all(page.map((pull) => pullJson(repo, pull, true))), headers };
    },

    'pulls/create': async ({ params, body, caller }) => {
      const repo = await repoOf(params);
      if (!repo) return notFound();
      const docsPath = `${docs.pulls}#create-a-pull-request`;
      const refuse = (error: FieldError) => validationReply(error, docsPath);
      const headInput = str(body, 'head') ?? '';
      const [headOwner, headBranch] = headInput.includes(':') ? headInput.split(':', 2) : [repo.owner, headInput];
      const base = str(body, 'base') ?? '';
      const title = str(body, 'title');
      if (!title) return refuse({ resource: 'Issue', code: 'missing_field', field: 'title' });
      if (headOwner !== repo.owner || !headBranch)
        return refuse({ resource: 'PullRequest', code: 'invalid', field: 'head' });
      const headSha = await branchCommit(repo.path, headBranch);
      if (!headSha) return refuse({ resource: 'PullRequest', code: 'invalid', field: 'head' });
      const baseSha = await branchCommit(repo.path, base);
      if (!baseSha) return refuse({ resource: 'PullRequest', code: 'invalid', field: 'base' });
      if (headBranch === base || headSha === baseSha) {
        return refuse({
          resource: 'PullRequest',
          code: 'custom',
          message: `No commits between ${base} and ${headBranch}`,
        });
      }
      const open = store.data.pulls.find(
        (pull) =>
          pull.repo === `${repo.owner}/${repo.name}` &&
          pull.state === 'open' &&
          pull.head === headBranch &&
          pull.base === base,
      );
      if (open)
        return refuse({
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${repo.owner}:${headBranch}.`,
        });
      const number = store.data.pulls.filter((pull) => pull.repo === `${repo.owner}/${repo.name}`).length + 1;
      const pull = {
        id: store.newId(),
        repo: `${repo.owner}/${repo.name}`,
        number,
        title,
        body: str(body, 'body') ?? null,
        head: headBranch,
        base,
        state: 'open' as const,
        createdAt: githubTime(),
        user: caller?.login ?? 'ghost',
      };
      store.data.pulls.push(pull);
      store.save();
      return {
        status: 201,
        json: await pullJson(repo, pull, false),
        headers: { location: `${site.base}/repos/${repo.owner}/${repo.name}/pulls/${number}` },
      };
    },

    'pulls/get': async ({ params }) => {
      const repo = await repoOf(params);
      const pull =
        repo &&
        store.data.pulls.find(
          (candidate) =>
            candidate.repo === `${repo.owner}/${repo.name}` && String(candidate.number) === params['pull_number'],
        );
      return repo && pull ? { status: 200, json: await pullJson(repo, pull, false) } : notFound();
    },

    'repos/list-webhooks': async ({ params, query }) => {
      const repo = await repoOf(params);
      if (!repo) return notFound();
      const { page, headers } = paginate(
        store.data.hooks.filter((stored) => stored.repo === `${repo.owner}/${repo.name}`),
        query,
        `${site.base}/repos/${repo.owner}/${repo.name}/hooks`,
      );
      return { status: 200, json: page.map((stored) => hook(site, stored)), headers };
    },

    'repos/create-webhook': async ({ params, body, caller }) => {
      const repo = await repoOf(params);
      if (!repo) return notFound();
      const docsPath = `${docs.hooks}#create-a-repository-webhook`;
      const config = hookConfig(body);
      if (!config.url)
        return validationReply({ resource: 'Hook', code: 'custom', message: 'Config must have url' }, docsPath);
      const key = `${repo.owner}/${repo.name}`;
      if (store.data.hooks.some((stored) => stored.repo === key && stored.url === config.url))
        return validationReply(
          { resource: 'Hook', code: 'custom', message: 'Hook already exists on this repository' },
          docsPath,
        );
      const now = githubTime();
      const events = (body as { events?: string[] } | undefined)?.events;
      const stored: StoredHook = {
        id: store.newId(),
        repo: key,
        active: bool(body, 'active') ?? true,
        events: events && events.length > 0 ? events : ['push'],
        url: config.url,
        // GitHub's default content type is form-encoded.
        contentType: config.contentType ?? 'form',
        secret: config.secret ?? null,
        insecureSsl: config.insecureSsl ?? '0',
        createdAt: now,
        updatedAt: now,
        lastResponse: { code: null, status: 'unused', message: null },
      };
      store.data.hooks.push(stored);
      store.save();
      deps.events.hookCreated(repo, stored, caller?.login ?? 'ghost');
      return {
        status: 201,
        json: hook(site, stored),
        headers: { location: `${site.base}/repos/${key}/hooks/${stored.id}` },
      };
    },

    'repos/get-webhook': async ({ params }) => {
      const repo = await repoOf(params);
      const stored = repo && hookIn(repo, params['hook_id']);
      return stored ? { status: 200, json: hook(site, stored) } : notFound();
    },

    'repos/update-webhook': async ({ params, body }) => {
      const repo = await repoOf(params);
      const stored = repo && hookIn(repo, params['hook_id']);
      if (!stored) return notFound();
      const update = body as { events?: string[]; add_events?: string[]; remove_events?: string[] } | undefined;
      let events = update?.events ?? stored.events;
      events = [...new Set([...events, ...(update?.add_events ?? [])])].filter(
        (event) => !(update?.remove_events ?? []).includes(event),
      );
      Object.assign(stored, hookConfig(body), {
        events,
        active: bool(body, 'active') ?? stored.active,
        updatedAt: githubTime(),
      });
      store.save();
      return { status: 200, json: hook(site, stored) };
    },

    'repos/list-webhook-deliveries': async ({ params, query }) => {
      const repo = await repoOf(params);
      const stored = repo && hookIn(repo, params['hook_id']);
      if (!repo || !stored) return notFound();
      const perPage = Math.min(Math.max(Number(query['per_page'] ?? 30) || 30, 1), 100);
      // Newest first, as GitHub lists them; no cursor: a test's hook has few.
      const deliveries = store.data.deliveries
        .filter((delivery) => delivery.hookId === stored.id)
        .sort((a, b) => b.id - a.id)
        .slice(0, perPage);
      return { status: 200, json: deliveries.map((delivery) => hookDelivery(site, delivery, repo.id, false)) };
    },

    'repos/get-webhook-delivery': async ({ params }) => {
      const repo = await repoOf(params);
      const stored = repo && hookIn(repo, params['hook_id']);
      const delivery =
        stored &&
        store.data.deliveries.find((each) => each.hookId === stored.id && String(each.id) === params['delivery_id']);
      return repo && delivery ? { status: 200, json: hookDelivery(site, delivery, repo.id, true) } : notFound();
    },

    'repos/redeliver-webhook-delivery': async ({ params }) => {
      const repo = await repoOf(params);
      const stored = repo && hookIn(repo, params['hook_id']);
      const sent = stored && deps.webhooks.redeliver(stored, Number(params['delivery_id']));
      return sent ? { status: 202, json: {} } : notFound();
    },

    'rate-limit/get': async () => ({
      status: 200,
      json: rateLimitOverview(4999, Math.floor(Date.now() / 1000) + 3600),
    }),

    'apps/create-installation-access-token': async ({ params }) => {
      if (!deps.auth.isInstallation(Number(params['installation_id'])))
        return { status: 404, json: basicError('Not Found', docs.apps) };
      const { token, expiresAt } = deps.auth.issueInstallationToken();
      return {
        status: 201,
        json: {
          token,
          expires_at: expiresAt,
          permissions: { contents: 'write', pull_requests: 'write', metadata: 'read' },
          repository_selection: 'all',
        },
      };
    },
  };
}
