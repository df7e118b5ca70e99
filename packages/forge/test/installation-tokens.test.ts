/**
 * GitHub App installation tokens are fetched once per installation and shared by every forge in the process,
 * counted in the stand-in's own request log: a release builds a forge per activity, and each used to fetch its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appKeyPair, spawnGitHubStandIn, type RunningStandIn } from '@relforge/github-standin';
import { exampleDir, until } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubForge, type RepoRef } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-installation-tokens-'));
const appId = 6161;
const [firstInstallation, secondInstallation] = [301, 302];
const { privateKey, publicKeyPem } = appKeyPair();
const repo: RepoRef = { owner: 'tokens', repo: 'hello' };

let standIn: RunningStandIn;

beforeAll(async () => {
  standIn = await spawnGitHubStandIn({
    dataDir: join(dir, 'github'),
    tokens: [`ghp_${randomBytes(18).toString('hex')}`],
    app: { appId, installationId: [firstInstallation, secondInstallation], publicKeyPem },
    logFile: join(dir, 'standin.log'),
  });
  await standIn.admin.createRepo({ owner: repo.owner, name: repo.repo, seedDir: join(exampleDir(), 'src') });
});

afterAll(async () => {
  await standIn?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function forgeFor(installationId: number): GitHubForge {
  return new GitHubForge({
    apiUrl: standIn.url,
    auth: { appId, installationId, privateKey },
    credentialName: `GitHub App ${appId} (installation ${installationId})`,
  });
}

let releaseListings = 0;

/** Lists the releases as an activity would, then waits for the stand-in to log it, and all that came before it. */
async function listReleases(forge: GitHubForge): Promise<void> {
  await forge.findRelease(repo, 'v1.0.0');
  releaseListings += 1;
  const listing = new RegExp(`^\\S+ GET /repos/${repo.owner}/${repo.repo}/releases 200 \\d+ms$`, 'gm');
  await until(`${releaseListings} release listings in the stand-in's log`, async () =>
    [...readFileSync(standIn.logFile, 'utf8').matchAll(listing)].length >= releaseListings ? true : undefined,
  );
}

/** `POST /app/installations/:id/access_tokens` requests the stand-in answered, per installation. */
function tokenRequests(): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const [, id] of readFileSync(standIn.logFile, 'utf8').matchAll(
    /^\S+ POST \/app\/installations\/(\d+)\/access_tokens 201 \d+ms$/gm,
  )) {
    counts[Number(id)] = (counts[Number(id)] ?? 0) + 1;
  }
  return counts;
}

describe('GitHub App installation tokens', () => {
  it('are fetched once for two forges on the same installation, and once more for another installation', async () => {
    const [one, two] = [forgeFor(firstInstallation), forgeFor(firstInstallation)];
    await listReleases(one);
    await listReleases(two);
    expect(tokenRequests()).toEqual({ [firstInstallation]: 1 });
    // git gets the same token the API calls use.
    expect((await two.gitAccess(repo)).authHeader).toBe((await one.gitAccess(repo)).authHeader);

    const other = forgeFor(secondInstallation);
    await listReleases(other);
    await listReleases(forgeFor(secondInstallation));
    expect(tokenRequests()).toEqual({ [firstInstallation]: 1, [secondInstallation]: 1 });
    expect((await other.gitAccess(repo)).authHeader).not.toBe((await one.gitAccess(repo)).authHeader);
  });
});
