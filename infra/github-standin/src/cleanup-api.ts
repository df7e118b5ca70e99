/**
 * The operations that undo what a release made on GitHub: deleting a release (its assets go with it; a tag the
 * release made stays, as at GitHub) and updating a pull request, which is how GitHub closes one. Served beside the
 * others in github-api.ts, with the same rules and the same contract check.
 */
import { rmSync } from 'node:fs';
import type { ApiRequest, Reply } from './api-types.js';
import { branchCommit } from './git.js';
import { basicError, githubTime, validationFailed, type RepoFacts } from './shapes.js';
import type { Store, StoredPull, StoredRelease } from './store.js';

type Repo = RepoFacts & { path: string };

/** What these handlers need of github-api.ts's own helpers. */
export interface CleanupDeps {
  store: Store;
  repoOf(params: Record<string, string>): Promise<Repo | undefined>;
  releaseIn(repo: RepoFacts, id: string | undefined): StoredRelease | undefined;
  pullJson(repo: Repo, pull: StoredPull, simple: boolean): Promise<unknown>;
}

const docs = '/pulls/pulls#update-a-pull-request';

function field(body: unknown, name: string): unknown {
  return (body as Record<string, unknown> | undefined)?.[name];
}

export function cleanupApi(deps: CleanupDeps) {
  const { store } = deps;
  return {
    'repos/delete-release': async ({ params }: ApiRequest): Promise<Reply> => {
      const repo = await deps.repoOf(params);
      const stored = repo && deps.releaseIn(repo, params['release_id']);
      if (!stored) return { status: 404, json: basicError('Not Found', '/releases/releases#delete-a-release') };
      const assets = store.data.assets.filter((asset) => asset.releaseId === stored.id);
      store.data.assets = store.data.assets.filter((asset) => asset.releaseId !== stored.id);
      store.data.releases = store.data.releases.filter((release) => release.id !== stored.id);
      store.save();
      for (const asset of assets) rmSync(store.assetFile(asset.id), { force: true });
      return { status: 204 };
    },

    'pulls/update': async ({ params, body }: ApiRequest): Promise<Reply> => {
      const repo = await deps.repoOf(params);
      const pull =
        repo &&
        store.data.pulls.find(
          (candidate) =>
            candidate.repo === `${repo.owner}/${repo.name}` && String(candidate.number) === params['pull_number'],
        );
      if (!repo || !pull) return { status: 404, json: basicError('Not Found', docs) };
      const state = field(body, 'state');
      if (state === 'open' && pull.state === 'closed') {
        // GitHub reopens only a pull request whose head branch still exists and that no open one duplicates.
        const duplicate = store.data.pulls.some(
          (other) =>
            other !== pull &&
            other.repo === pull.repo &&
            other.state === 'open' &&
            other.head === pull.head &&
            other.base === pull.base,
        );
        if (duplicate || !(await branchCommit(repo.path, pull.head))) {
          return {
            status: 422,
            json: validationFailed(
              [
                {
                  resource: 'PullRequest',
                  code: 'custom',
                  message: 'state cannot be changed. The head branch is gone or another pull request is open for it.',
                },
              ],
              docs,
            ),
          };
        }
        pull.state = 'open';
        delete pull.closedAt;
      } else if (state === 'closed' && pull.state === 'open') {
        pull.state = 'closed';
        pull.closedAt = githubTime();
      }
      const title = field(body, 'title');
      const text = field(body, 'body');
      if (typeof title === 'string') pull.title = title;
      if (typeof text === 'string') pull.body = text;
      store.save();
      return { status: 200, json: await deps.pullJson(repo, pull, false) };
    },
  };
}
