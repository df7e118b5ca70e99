/**
 * What GitHub tells a repository's webhooks, and when: `push` (and `create` for a new branch or tag) for every ref a
 * push moved, or a published release's new tag; `release` published when a release is; `ping` when a hook is made.
 */
import { commitFacts, commitsBetween } from './git.js';
import {
  createPayload,
  pingPayload,
  pushPayload,
  releasePayload,
  type CommitFacts,
  type RepoFacts,
  type Site,
} from './shapes.js';
import type { StoredAsset, StoredHook, StoredRelease } from './store.js';
import type { Webhooks } from './webhooks.js';

export interface RefUpdate {
  ref: string;
  /** Absent for a ref the push created. */
  before?: string;
  /** Absent for a ref the push deleted. */
  after?: string;
}

/** The refs whose object differs between two listings (`git for-each-ref` before and after a push). */
export function refUpdates(before: Map<string, string>, after: Map<string, string>): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const [ref, sha] of after) {
    const old = before.get(ref);
    if (old !== sha) updates.push({ ref, ...(old ? { before: old } : {}), after: sha });
  }
  for (const [ref, sha] of before) if (!after.has(ref)) updates.push({ ref, before: sha });
  return updates;
}

export class RepoEvents {
  constructor(
    private readonly site: Site,
    private readonly webhooks: Webhooks,
  ) {}

  private wanted(repo: RepoFacts): boolean {
    return this.webhooks.hooksOf(`${repo.owner}/${repo.name}`).some((hook) => hook.active);
  }

  async refsMoved(repo: RepoFacts & { path: string }, updates: RefUpdate[], sender: string): Promise<void> {
    if (!this.wanted(repo)) return;
    const key = `${repo.owner}/${repo.name}`;
    for (const update of updates) {
      const head = update.after ? await commitFacts(repo.path, update.after) : undefined;
      // A tag push lists no commits; a branch push lists what it brought.
      const commits: CommitFacts[] = [];
      if (update.after && update.ref.startsWith('refs/heads/')) {
        for (const sha of await commitsBetween(repo.path, update.before, update.after)) {
          const facts = await commitFacts(repo.path, sha);
          if (facts) commits.push(facts);
        }
      }
      if (!update.before && update.after)
        this.webhooks.emit({ repo: key, event: 'create', payload: createPayload(this.site, repo, update.ref, sender) });
      this.webhooks.emit({
        repo: key,
        event: 'push',
        payload: pushPayload(this.site, repo, update, head, commits, sender),
      });
    }
  }

  releasePublished(repo: RepoFacts, stored: StoredRelease, assets: StoredAsset[], sender: string): void {
    this.webhooks.emit({
      repo: `${repo.owner}/${repo.name}`,
      event: 'release',
      action: 'published',
      payload: releasePayload(this.site, repo, stored, assets, 'published', sender),
    });
  }

  hookCreated(repo: RepoFacts, hook: StoredHook, sender: string): void {
    this.webhooks.emit({ repo: hook.repo, event: 'ping', payload: pingPayload(this.site, repo, hook, sender) }, hook);
  }
}
