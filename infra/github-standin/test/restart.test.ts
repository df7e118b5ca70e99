import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningStandIn } from '../src/index.js';
import { isAlive } from '@relforge/local-servers';
import { gitClient, octokitFor, scratch, seedFolder, startStandIn } from './helpers.js';

const owner = 'acme';
const repo = 'durable';
const space = scratch();
let running: RunningStandIn | undefined;

afterAll(async () => {
  await running?.stop();
  space.remove();
});

describe('restarts', () => {
  it('keeps releases, asset bytes, pull requests and repositories across a stop and start', async () => {
    running = await startStandIn(space);
    const first = running;
    await first.admin.createRepo({ owner, name: repo, seedDir: seedFolder(space) });
    const octokit = octokitFor(first, space.token);
    const { data: draft } = await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v1.0.0', draft: true });
    const bytes = Buffer.from('kept across restarts\n');
    await octokit.request({
      method: 'POST',
      url: draft.upload_url,
      name: 'notes.txt',
      data: bytes,
      headers: { 'content-type': 'text/plain' },
    });
    const git = gitClient(space);
    const checkout = join(space.dir, 'checkout');
    git(['clone', '--quiet', `${first.url}/${owner}/${repo}.git`, checkout]);
    git(['checkout', '--quiet', '-b', 'release/1.0'], checkout);
    writeFileSync(join(checkout, 'CHANGELOG.md'), '1.0\n');
    git(['add', 'CHANGELOG.md'], checkout);
    git(['commit', '--quiet', '-m', 'changelog'], checkout);
    git(['push', '--quiet', 'origin', 'release/1.0'], checkout);
    const { data: pull } = await octokit.rest.pulls.create({
      owner,
      repo,
      title: 'Release 1.0',
      head: 'release/1.0',
      base: 'main',
    });
    await first.stop();
    expect(isAlive(first.pid)).toBe(false);

    running = await startStandIn(space);
    const again = octokitFor(running, space.token);
    expect((await running.admin.createRepo({ owner, name: repo })).created).toBe(false);
    const { data: releases } = await again.rest.repos.listReleases({ owner, repo });
    expect(releases.map((release) => [release.id, release.tag_name, release.draft])).toEqual([
      [draft.id, 'v1.0.0', true],
    ]);
    const [asset] = releases[0]?.assets ?? [];
    expect(asset?.digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    const download = await again.rest.repos.getReleaseAsset({
      owner,
      repo,
      asset_id: asset?.id ?? 0,
      headers: { accept: 'application/octet-stream' },
    });
    expect(Buffer.from(download.data as unknown as ArrayBuffer).equals(bytes)).toBe(true);
    const { data: samePull } = await again.rest.pulls.get({ owner, repo, pull_number: pull.number });
    expect(samePull.head.sha).toBe(git(['rev-parse', 'HEAD'], checkout));
    await expect(
      again.rest.pulls.create({ owner, repo, title: 'again', head: 'release/1.0', base: 'main' }),
    ).rejects.toMatchObject({ status: 422 });
    const { data: next } = await again.rest.repos.createRelease({ owner, repo, tag_name: 'v1.1.0', draft: true });
    expect(next.id).toBeGreaterThan(pull.id);
    expect(await running.admin.violations()).toEqual([]);
  });
});
