import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGitRoot, type GitRoot } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { Git, GitError, type GitRemote } from '../src/index.js';

/** A bare "remote" with one commit on main, made with plain git the way a person would. */
function seededRemote(root: GitRoot): GitRemote {
  const bare = join(root.dir, 'remote.git');
  root.git(['init', '--quiet', '--bare', bare]);
  const seed = join(root.dir, 'seed');
  root.git(['init', '--quiet', seed]);
  writeFileSync(join(seed, 'README'), 'hash hello-1.0.0.tar.gz sha256 aa https://example.invalid/hello-1.0.0.tar.gz\n');
  root.git(['add', '.'], seed);
  root.git(['commit', '--quiet', '-m', 'seed'], seed);
  root.git(['push', '--quiet', bare, 'HEAD:refs/heads/main'], seed);
  root.git(['tag', '-a', 'v1.0.0', '-m', 'one'], seed);
  root.git(['push', '--quiet', bare, 'v1.0.0'], seed);
  return { url: bare };
}

describe('git for release steps', () => {
  it('resolves branches, annotated tags (to their commit) and commit ids on the remote', async () => {
    const root = createGitRoot();
    const remote = seededRemote(root);
    const git = new Git();
    const main = root.git(['rev-parse', 'refs/heads/main'], remote.url);
    expect(await git.resolveRemoteRef(remote, 'main')).toBe(main);
    expect(await git.resolveRemoteRef(remote, 'v1.0.0')).toBe(main);
    expect(await git.resolveRemoteRef(remote, 'missing')).toBeUndefined();
    expect(await git.resolveRemoteRef(remote, main)).toBe(main);
  });

  it('commits only when something changed, pushes a branch, and names a stale push as such', async () => {
    const root = createGitRoot();
    const remote = seededRemote(root);
    const git = new Git({ identity: { name: 'Release Bot', email: 'bot@relforge.invalid' } });
    const work = join(root.dir, 'work');
    await git.clone(remote, work, 'main');
    expect(await git.commitAll(work, 'nothing')).toBeUndefined();

    await git.checkoutNewBranch(work, 'update-1.1.0', 'HEAD');
    writeFileSync(
      join(work, 'README'),
      `${readFileSync(join(work, 'README'), 'utf8')}hash hello-1.1.0.tar.gz sha256 bb u\n`,
    );
    const commit = await git.commitAll(work, 'Add 1.1.0');
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    await git.push(remote, work, 'HEAD:refs/heads/update-1.1.0');
    expect(await git.resolveRemoteRef(remote, 'update-1.1.0')).toBe(commit);
    expect(root.git(['log', '-1', '--format=%an <%ae>', 'update-1.1.0'], remote.url)).toBe(
      'Release Bot <bot@relforge.invalid>',
    );

    // Someone else moves main on; our push of an older base must be refused, and recognisably so.
    const other = join(root.dir, 'other');
    await git.clone(remote, other, 'main');
    writeFileSync(join(other, 'NEWS'), 'moved on\n');
    await git.commitAll(other, 'elsewhere');
    await git.push(remote, other, 'HEAD:refs/heads/main');
    const refused = await git.push(remote, work, 'HEAD:refs/heads/main').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GitError);
    expect((refused as GitError).isStalePush).toBe(true);
  });

  it('archives a commit into the same bytes every time, under the given prefix', async () => {
    const root = createGitRoot();
    const remote = seededRemote(root);
    const git = new Git();
    const commit = root.git(['rev-parse', 'main'], remote.url);
    const work = join(root.dir, 'src');
    await git.checkoutCommit(remote, work, commit);
    const first = join(root.dir, 'a.tar.gz');
    const second = join(root.dir, 'b.tar.gz');
    await git.archive(work, commit, 'hello-1.0.0', first);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await git.archive(work, commit, 'hello-1.0.0', second);
    const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(digest(first)).toBe(digest(second));
    expect(execFileSync('tar', ['-tzf', first], { encoding: 'utf8' }).split('\n')).toContain('hello-1.0.0/README');
  });

  it('keeps a credential out of its error messages', async () => {
    const git = new Git({ timeoutMs: 20_000 });
    const secret = 'Authorization: Basic c2VjcmV0LXRva2VuLXZhbHVl';
    // Nothing listens on port 9 (discard): git fails to connect and says so.
    const error = await git
      .resolveRemoteRef({ url: 'http://127.0.0.1:9/owner/repo.git', authHeader: secret }, 'main')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toContain('git ls-remote failed');
    expect((error as GitError).message).not.toContain('c2VjcmV0');
  });
});
