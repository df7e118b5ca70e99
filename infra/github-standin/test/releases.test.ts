import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Octokit } from '@octokit/rest';
import type { RunningStandIn } from '../src/index.js';
import { gitClient, octokitFor, scratch, seedFolder, startStandIn, type Scratch } from './helpers.js';

const owner = 'acme';
const repo = 'widget';

let space: Scratch;
let standIn: RunningStandIn;
let octokit: Octokit;
let seedCommit: string;

beforeAll(async () => {
  space = scratch();
  standIn = await startStandIn(space);
  octokit = octokitFor(standIn, space.token);
  const created = await standIn.admin.createRepo({ owner, name: repo, seedDir: seedFolder(space) });
  seedCommit = created.head ?? '';
});

afterAll(async () => {
  await standIn?.stop();
  space?.remove();
});

async function uploadAsset(
  releaseId: number,
  name: string,
  bytes: Buffer,
): Promise<{ status: number; digest?: string | null }> {
  const { data: draft } = await octokit.rest.repos.getRelease({ owner, repo, release_id: releaseId });
  // Relforge uploads to the release's upload_url, which names the upload host; the stand-in points it at itself.
  const response = await octokit.request({
    method: 'POST',
    url: draft.upload_url,
    name,
    data: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  return { status: response.status, digest: (response.data as { digest?: string | null }).digest };
}

function tagsOnStandIn(): string {
  return gitClient(space)(['ls-remote', '--tags', `${standIn.url}/${owner}/${repo}.git`]);
}

describe('releases', () => {
  it('seeds the repository as one commit on the default branch and reports it as GitHub does', async () => {
    const { data } = await octokit.rest.repos.get({ owner, repo });
    expect(data.default_branch).toBe('main');
    expect(data.full_name).toBe(`${owner}/${repo}`);
    const heads = gitClient(space)(['ls-remote', '--heads', `${standIn.url}/${owner}/${repo}.git`]);
    expect(heads).toBe(`${seedCommit}\trefs/heads/main`);
  });

  it('keeps a draft without a git tag, takes its assets with their sha256, and tags the target commit on publish', async () => {
    const { data: draft } = await octokit.rest.repos.createRelease({
      owner,
      repo,
      tag_name: 'v1.0.0',
      target_commitish: 'main',
      name: 'v1.0.0',
      draft: true,
    });
    expect(draft.draft).toBe(true);
    expect(draft.upload_url.startsWith(`${standIn.url}/repos/${owner}/${repo}/releases/${draft.id}/assets`)).toBe(true);
    expect(tagsOnStandIn()).toBe('');

    const tarball = Buffer.from('pretend this is a tarball\n');
    const uploaded = await uploadAsset(draft.id, 'widget-1.0.0.tar.gz', tarball);
    expect(uploaded.status).toBe(201);
    expect(uploaded.digest).toBe(`sha256:${createHash('sha256').update(tarball).digest('hex')}`);
    await uploadAsset(draft.id, 'SHA256SUMS', Buffer.from('abc  widget-1.0.0.tar.gz\n'));

    const { data: assets } = await octokit.rest.repos.listReleaseAssets({ owner, repo, release_id: draft.id });
    expect(assets.map((asset) => asset.name).sort()).toEqual(['SHA256SUMS', 'widget-1.0.0.tar.gz']);
    const listed = await octokit.rest.repos.listReleases({ owner, repo });
    expect(listed.data.map((release) => [release.tag_name, release.draft])).toContainEqual(['v1.0.0', true]);

    const { data: published } = await octokit.rest.repos.updateRelease({
      owner,
      repo,
      release_id: draft.id,
      draft: false,
    });
    expect(published.draft).toBe(false);
    expect(published.published_at).not.toBeNull();
    expect(tagsOnStandIn()).toBe(`${seedCommit}\trefs/tags/v1.0.0`);
    const { data: byTag } = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v1.0.0' });
    expect(byTag.id).toBe(draft.id);
    expect(byTag.assets).toHaveLength(2);
  });

  it('serves asset bytes through a redirect that Octokit follows', async () => {
    const { data: release } = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v1.0.0' });
    const asset = release.assets.find((candidate) => candidate.name === 'widget-1.0.0.tar.gz');
    const response = await octokit.rest.repos.getReleaseAsset({
      owner,
      repo,
      asset_id: asset?.id ?? 0,
      headers: { accept: 'application/octet-stream' },
    });
    expect(Buffer.from(response.data as unknown as ArrayBuffer).toString()).toBe('pretend this is a tarball\n');
  });

  it('hides drafts from the tag lookup but lists them, and allows several drafts for one tag', async () => {
    const first = await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v2.0.0', draft: true });
    const second = await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v2.0.0', draft: true });
    expect(second.data.id).not.toBe(first.data.id);
    await expect(octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v2.0.0' })).rejects.toMatchObject({
      status: 404,
    });
    const { data: listed } = await octokit.rest.repos.listReleases({ owner, repo });
    expect(listed.filter((release) => release.tag_name === 'v2.0.0')).toHaveLength(2);
    expect(tagsOnStandIn()).not.toContain('v2.0.0');
  });

  it('refuses a second published release for a tag with already_exists', async () => {
    await expect(octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v1.0.0' })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] } },
    });
  });

  it('refuses a second asset with the same name and counts the rejected upload', async () => {
    const { data: draft } = await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v3.0.0', draft: true });
    await uploadAsset(draft.id, 'app.zip', Buffer.from('one'));
    await expect(uploadAsset(draft.id, 'app.zip', Buffer.from('two'))).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }] } },
    });
    const state = await standIn.admin.state();
    const release = state.repos[`${owner}/${repo}`]?.releases.find((candidate) => candidate.id === draft.id);
    expect(release?.assets).toEqual([expect.objectContaining({ name: 'app.zip', size: 3, uploads: 1 })]);
    expect(state.rejectedUploads).toContainEqual({ releaseId: draft.id, name: 'app.zip', reason: 'already_exists' });
  });

  it('lets a deleted asset be uploaded again, and counts both uploads', async () => {
    const { data: release } = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag: 'v1.0.0' });
    const sums = release.assets.find((asset) => asset.name === 'SHA256SUMS');
    await octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: sums?.id ?? 0 });
    await uploadAsset(release.id, 'SHA256SUMS', Buffer.from('fixed\n'));
    const state = await standIn.admin.state();
    const summary = state.repos[`${owner}/${repo}`]?.releases.find((candidate) => candidate.id === release.id);
    expect(summary?.assets.find((asset) => asset.name === 'SHA256SUMS')).toMatchObject({ size: 6, uploads: 2 });
  });

  it('pages the release list with a Link header that octokit.paginate follows', async () => {
    const first = await octokit.rest.repos.listReleases({ owner, repo, per_page: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.repos.listReleases, { owner, repo, per_page: 2 });
    expect(all).toHaveLength(4);
    expect(all.map((release) => release.id)).toEqual([...all.map((release) => release.id)].sort((a, b) => b - a));
  });

  it('deletes a release with its assets and answers 404 the second time', async () => {
    const { data: draft } = await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v9.0.0', draft: true });
    await uploadAsset(draft.id, 'app.tar.gz', Buffer.from('bytes'));
    const deleted = await octokit.rest.repos.deleteRelease({ owner, repo, release_id: draft.id });
    expect(deleted.status).toBe(204);
    await expect(octokit.rest.repos.getRelease({ owner, repo, release_id: draft.id })).rejects.toMatchObject({
      status: 404,
    });
    await expect(octokit.rest.repos.deleteRelease({ owner, repo, release_id: draft.id })).rejects.toMatchObject({
      status: 404,
    });
    const state = await standIn.admin.state();
    expect(state.repos[`${owner}/${repo}`]?.releases.some((release) => release.id === draft.id)).toBe(false);
    expect(tagsOnStandIn()).not.toContain('v9.0.0');
  });

  it('makes a published release the latest unless make_latest is "false", and never a prerelease', async () => {
    const stable = await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v9.0.0' });
    const latest = async () => (await octokit.rest.repos.getLatestRelease({ owner, repo })).data.tag_name;
    expect(await latest()).toBe('v9.0.0');
    await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v9.1.0-rc.1', prerelease: true });
    const draft = await octokit.rest.repos.createRelease({
      owner,
      repo,
      tag_name: 'v9.1.0-rc.2',
      prerelease: true,
      draft: true,
    });
    await octokit.rest.repos.updateRelease({
      owner,
      repo,
      release_id: draft.data.id,
      draft: false,
      make_latest: 'false',
    });
    expect(await latest()).toBe('v9.0.0');
    await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v8.9.9', make_latest: 'false' });
    expect(await latest()).toBe('v9.0.0');
    const patch = await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v8.9.10', make_latest: 'false' });
    await octokit.rest.repos.updateRelease({ owner, repo, release_id: patch.data.id, make_latest: 'true' });
    expect(await latest()).toBe('v8.9.10');
    await octokit.rest.repos.updateRelease({ owner, repo, release_id: stable.data.id, make_latest: 'true' });
    expect(await latest()).toBe('v9.0.0');
  });

  it('saw no contract violations in any of the above', async () => {
    expect(await standIn.admin.violations()).toEqual([]);
  });
});
