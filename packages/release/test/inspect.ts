/** Reading what a release left behind, the way anyone would: S3 listings, the forge's API state, git clones. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetBucketPolicyCommand, ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import { Git, type GitRemote } from '@relforge/git';
import { testS3Client, testStack, type ExampleProject } from '@relforge/testkit';

export function remote(repository: string): GitRemote {
  const { github } = testStack();
  return {
    url: `${github.url}/${repository}.git`,
    authHeader: `Authorization: Basic ${Buffer.from(`x-access-token:${github.token}`).toString('base64')}`,
  };
}

/** The bucket's policy as S3 hands it out, parsed; undefined when it has none. */
export async function s3Policy(example: ExampleProject): Promise<{ Statement: unknown[] } | undefined> {
  const client = testS3Client();
  try {
    const { Policy } = await client.send(new GetBucketPolicyCommand({ Bucket: example.bucket }));
    return Policy ? (JSON.parse(Policy) as { Statement: unknown[] }) : undefined;
  } catch (error) {
    if ((error as Error).name === 'NoSuchBucketPolicy') return undefined;
    throw error;
  } finally {
    client.destroy();
  }
}

export async function s3Objects(example: ExampleProject): Promise<_Object[]> {
  const client = testS3Client();
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: example.bucket }));
    return page.Contents ?? [];
  } finally {
    client.destroy();
  }
}

/** Deletes what a release staged, as a lifecycle rule on the staging prefix does some time after it. */
export async function expireStaged(example: ExampleProject): Promise<number> {
  const client = testS3Client();
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: example.bucket, Prefix: 'relforge-staging/' }));
    for (const { Key } of page.Contents ?? [])
      await client.send(new DeleteObjectCommand({ Bucket: example.bucket, Key }));
    return page.Contents?.length ?? 0;
  } finally {
    client.destroy();
  }
}

/** A branch of a repository on the stand-in, cloned: its files, and how many commits it has. */
export async function checkout(
  repository: string,
  branch: string,
): Promise<{ read(path: string): string; files: string[]; commits: number; head: string; done(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-inspect-'));
  const git = new Git();
  await git.run(['clone', '--quiet', '--branch', branch, remote(repository).url, dir], { remote: remote(repository) });
  const count = (await git.run(['rev-list', '--count', 'HEAD'], { cwd: dir })).trim();
  const files = (await git.run(['ls-files', '-z'], { cwd: dir })).split('\0').filter(Boolean);
  return {
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    files,
    commits: Number(count),
    head: await git.headCommit(dir),
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function remoteRef(repository: string, ref: string): Promise<string | undefined> {
  return new Git().resolveRemoteRef(remote(repository), ref);
}

export function sha256sumCheck(dir: string, sums: string): string {
  return execFileSync('sha256sum', ['--check', '--strict', sums], { cwd: dir, encoding: 'utf8' });
}

/**
 * A commit pushed on top of a branch, as a maintainer would after a release: the branch moves on. `edit` changes the
 * clone's files first; without it the commit is empty.
 */
export async function pushCommit(
  repository: string,
  branch: string,
  message: string,
  edit?: (dir: string) => void,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-push-'));
  const git = new Git();
  try {
    await git.run(['clone', '--quiet', '--branch', branch, remote(repository).url, dir], {
      remote: remote(repository),
    });
    edit?.(dir);
    await git.run(['add', '--all'], { cwd: dir });
    await git.run(
      [
        '-c',
        'user.name=Maintainer',
        '-c',
        'user.email=maintainer@relforge.invalid',
        'commit',
        '--quiet',
        '--allow-empty',
        '-m',
        message,
      ],
      { cwd: dir },
    );
    await git.run(['push', '--quiet', 'origin', `HEAD:${branch}`], { cwd: dir, remote: remote(repository) });
    return await git.headCommit(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
