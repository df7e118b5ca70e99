/**
 * GitHub's write pacing, per credential: read from the stand-in's own request log, so the times are when each write
 * reached the server. The stand-in here is one of this file's own, because the shared one accepts a single token.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGitHubStandIn, type RunningStandIn } from '@relforge/github-standin';
import { exampleDir, until } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubForge, type GitHubAuth, type RepoRef } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-write-limits-'));
const tokens = [`ghp_${randomBytes(18).toString('hex')}`, `ghp_${randomBytes(18).toString('hex')}`] as const;
const app = { appId: 5151, installationId: 88 };
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const assetFile = join(dir, 'asset.tar.gz');
writeFileSync(assetFile, randomBytes(1024));
const uploadsPerForge = 3;

let standIn: RunningStandIn;

beforeAll(async () => {
  standIn = await spawnGitHubStandIn({
    dataDir: join(dir, 'github'),
    tokens: [...tokens],
    app: { ...app, publicKeyPem: publicKey },
    logFile: join(dir, 'standin.log'),
  });
});

afterAll(async () => {
  await standIn?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function forge(auth: GitHubAuth): GitHubForge {
  return new GitHubForge({ apiUrl: standIn.url, auth, credentialName: 'the test credential' });
}

async function repository(): Promise<{ repo: RepoRef; head: string }> {
  const repo = { owner: `limits-${randomBytes(3).toString('hex')}`, repo: 'hello' };
  const created = await standIn.admin.createRepo({
    owner: repo.owner,
    name: repo.repo,
    seedDir: join(exampleDir(), 'src'),
  });
  return { repo, head: created.head ?? '' };
}

function draft(github: GitHubForge, repo: RepoRef, head: string) {
  return github.createDraftRelease(repo, {
    tag: 'v1.0.0',
    name: 'hello 1.0.0',
    targetCommitish: head,
    body: '',
    prerelease: false,
  });
}

/** A release's assets, one after another, as the publish step uploads them. */
async function uploadAssets(github: GitHubForge, repo: RepoRef, release: Awaited<ReturnType<typeof draft>>) {
  for (let index = 0; index < uploadsPerForge; index += 1) {
    await github.uploadAsset(repo, release, {
      name: `hello-${index}.tar.gz`,
      filePath: assetFile,
      size: 1024,
      contentType: 'application/gzip',
    });
  }
}

interface LoggedWrite {
  /** When the request reached the stand-in, in ms: its log stamps the answer and says how long it took. */
  arrivedAt: number;
  kind: 'release' | 'upload';
  status: number;
}

/** The writes the stand-in answered for a repository, in order of arrival; waits for the log to hold `count`. */
async function writesTo(repo: RepoRef, count: number): Promise<LoggedWrite[]> {
  const line = new RegExp(
    `^(\\S+) POST /repos/${repo.owner}/${repo.repo}/releases(/\\d+/assets)? (\\d{3}) (\\d+)ms$`,
    'gm',
  );
  const writes = await until(`${count} writes to ${repo.owner}/${repo.repo} in the stand-in's log`, async () => {
    const logged = [...readFileSync(standIn.logFile, 'utf8').matchAll(line)];
    return logged.length >= count ? logged : undefined;
  });
  return writes
    .map((match) => ({
      arrivedAt: Date.parse(match[1] ?? '') - Number(match[4]),
      kind: match[2] ? ('upload' as const) : ('release' as const),
      status: Number(match[3]),
    }))
    .sort((a, b) => a.arrivedAt - b.arrivedAt);
}

function gaps(writes: LoggedWrite[]): number[] {
  return writes.slice(1).map((write, index) => write.arrivedAt - (writes[index]?.arrivedAt ?? 0));
}

describe("GitHub's write pacing", () => {
  it('lets releases under different tokens and an App installation write at the same time', async () => {
    const credentials: GitHubAuth[] = [{ token: tokens[0] }, { token: tokens[1] }, { ...app, privateKey }];
    const releases = await Promise.all(
      credentials.map(async (auth) => ({ ...(await repository()), github: forge(auth) })),
    );
    await Promise.all(
      releases.map(async ({ github, repo, head }) => uploadAssets(github, repo, await draft(github, repo, head))),
    );

    const byCredential = await Promise.all(releases.map(({ repo }) => writesTo(repo, 1 + uploadsPerForge)));
    expect(byCredential.flat().map((write) => write.status)).toEqual(Array(3 * (1 + uploadsPerForge)).fill(201));
    const uploadsByCredential = byCredential.map((writes) => writes.filter((write) => write.kind === 'upload'));
    // Each credential still waits a second between its own writes...
    for (const uploads of uploadsByCredential) for (const gap of gaps(uploads)) expect(gap).toBeGreaterThanOrEqual(950);
    // ...but not for the others': the n-th uploads of all three land together, where one shared limiter would have
    // spaced every write in the process a second from the last.
    for (let index = 0; index < uploadsPerForge; index += 1) {
      const times = uploadsByCredential.map((uploads) => uploads[index]?.arrivedAt ?? Number.NaN);
      expect(Math.max(...times) - Math.min(...times), `spread of upload ${index + 1}`).toBeLessThan(500);
    }
  });

  it('paces two forges on one token as one: writes a second apart, new releases three', async () => {
    const [one, two] = [forge({ token: tokens[0] }), forge({ token: tokens[0] })];
    const [a, b] = await Promise.all([repository(), repository()]);
    const drafts = await Promise.all([draft(one, a.repo, a.head), draft(two, b.repo, b.head)]);
    await Promise.all([uploadAssets(one, a.repo, drafts[0]), uploadAssets(two, b.repo, drafts[1])]);

    const writes = [...(await writesTo(a.repo, 1 + uploadsPerForge)), ...(await writesTo(b.repo, 1 + uploadsPerForge))];
    expect(writes.map((write) => write.status)).toEqual(Array(2 * (1 + uploadsPerForge)).fill(201));
    const releases = writes.filter((write) => write.kind === 'release').sort((x, y) => x.arrivedAt - y.arrivedAt);
    const uploads = writes.filter((write) => write.kind === 'upload').sort((x, y) => x.arrivedAt - y.arrivedAt);
    // A release notifies watchers; plugin-throttling creates them three seconds apart per credential.
    expect(gaps(releases)[0]).toBeGreaterThanOrEqual(2_950);
    expect(uploads).toHaveLength(2 * uploadsPerForge);
    for (const gap of gaps(uploads)) {
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(gap).toBeLessThan(1_500);
    }
  });
});
