import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandInAdmin } from '@relforge/github-standin';
import { exampleDir, testStack } from '@relforge/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { ForgeError, GitHubForge, type RepoRef } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-forge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function forge(token = testStack().github.token, onWait?: (reason: string, seconds: number) => void): GitHubForge {
  return new GitHubForge({
    apiUrl: testStack().github.url,
    auth: { token },
    credentialName: 'the token in environment variable RELFORGE_GITHUB_TOKEN',
    retries: 2,
    ...(onWait ? { onWait } : {}),
  });
}

async function repository(): Promise<{ repo: RepoRef; admin: StandInAdmin; head: string }> {
  const admin = new StandInAdmin(testStack().github.url);
  const repo = { owner: `forge-${randomBytes(3).toString('hex')}`, repo: 'hello' };
  const created = await admin.createRepo({ owner: repo.owner, name: repo.repo, seedDir: join(exampleDir(), 'src') });
  return { repo, admin, head: created.head ?? '' };
}

describe('the GitHub forge on the stand-in', () => {
  it("finds its own draft by tag (GitHub's by-tag lookup would not), and reads asset digests back", async () => {
    const { repo, admin, head } = await repository();
    const github = forge();
    expect(await github.findRelease(repo, 'v1.0.0')).toBeUndefined();
    const draft = await github.createDraftRelease(repo, {
      tag: 'v1.0.0',
      name: 'hello 1.0.0',
      targetCommitish: head,
      body: 'notes',
      prerelease: false,
    });
    expect(draft.draft).toBe(true);
    expect(await github.findRelease(repo, 'v1.0.0')).toEqual(draft);

    const file = join(dir, 'hello-1.0.0.tar.gz');
    const bytes = randomBytes(4096);
    writeFileSync(file, bytes);
    const asset = await github.uploadAsset(repo, draft, {
      name: 'hello-1.0.0.tar.gz',
      filePath: file,
      size: bytes.length,
      contentType: 'application/gzip',
    });
    const digest = createHash('sha256').update(bytes).digest('hex');
    expect(asset.sha256).toBe(digest);
    expect(await github.listAssets(repo, draft.id)).toEqual([asset]);
    expect(await github.downloadAsset(repo, asset.id)).toEqual(bytes);

    const published = await github.publishRelease(repo, draft.id);
    expect(published.draft).toBe(false);
    expect((await github.findRelease(repo, 'v1.0.0'))?.id).toBe(draft.id);
    expect(await admin.violations()).toEqual([]);
  });

  it('names refused credentials without their value, and says what to do', async () => {
    const { repo } = await repository();
    const wrong = `ghp_${randomBytes(18).toString('hex')}`;
    const error = await forge(wrong)
      .findRelease(repo, 'v1.0.0')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ForgeError);
    expect((error as ForgeError).kind).toBe('credentials');
    expect((error as ForgeError).needsOperator).toBe(true);
    expect((error as ForgeError).message).toContain('401 Bad credentials');
    expect((error as ForgeError).fix).toContain('the token in environment variable RELFORGE_GITHUB_TOKEN');
    expect(JSON.stringify({ message: (error as ForgeError).message, fix: (error as ForgeError).fix })).not.toContain(
      wrong,
    );
  });

  it('retries a 502 and waits out a 429 for as long as retry-after says', async () => {
    const { repo, admin } = await repository();
    await admin.addFault({
      match: { method: 'GET', path: `/repos/${repo.owner}/hello/releases` },
      count: 1,
      status: 502,
    });
    await admin.addFault({
      match: { method: 'GET', path: `/repos/${repo.owner}/hello/releases` },
      count: 1,
      status: 429,
      headers: { 'retry-after': '2' },
    });
    const waits: number[] = [];
    const started = Date.now();
    expect(await forge(undefined, (_, seconds) => waits.push(seconds)).findRelease(repo, 'v9.9.9')).toBeUndefined();
    expect(waits).toEqual([2]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect((await admin.state()).faultsPending).toBe(0);
  });

  it('finds an open pull request by its branch, and refuses one for a branch that was never pushed', async () => {
    const { repo } = await repository();
    const github = forge();
    expect(await github.findPullRequest(repo, 'update-1.0.0', 'main')).toBeUndefined();
    const error = await github
      .createPullRequest(repo, { head: 'update-1.0.0', base: 'main', title: 'Update to version 1.0.0', body: '' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ForgeError);
    expect((error as ForgeError).kind).toBe('refused');
    expect((error as ForgeError).message).toContain('422');
  });
});
