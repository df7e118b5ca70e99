/** Per-test resources on the shared servers: a fresh bucket, a temporary git root. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3Client } from '@relforge/local-servers';
import { inject, onTestFinished } from 'vitest';
import type { TestStack } from './stack.js';

export function testStack(): TestStack {
  return inject('relforgeStack');
}

export function testS3Client() {
  return s3Client(testStack().s3);
}

/** A bucket no other test uses; S3 bucket names allow lowercase, digits and dashes only. */
export async function createTestBucket(label = 'test'): Promise<string> {
  const bucket = `${label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40)}-${randomBytes(4).toString('hex')}`;
  const client = testS3Client();
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return bucket;
}

export interface GitRoot {
  dir: string;
  /** Environment for git child processes: an identity, and no user or system config leaking in. */
  env: NodeJS.ProcessEnv;
  git(args: string[], cwd?: string): string;
}

/** A temporary folder for real git repositories, removed when the test ends. */
export function createGitRoot(): GitRoot {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-git-'));
  const globalConfig = join(dir, '.gitconfig');
  writeFileSync(
    globalConfig,
    '[user]\n\tname = Relforge Test\n\temail = test@relforge.invalid\n[init]\n\tdefaultBranch = main\n',
  );
  const env = { ...process.env, GIT_CONFIG_GLOBAL: globalConfig, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    env,
    git: (args, cwd = dir) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim(),
  };
}

/**
 * A workflow history as text a person would search: every payload decoded
 * from the base64 JSON that history keeps, so a value that entered history
 * in any input, result or failure shows up in plain text.
 */
export function decodedHistory(historyJson: string): string {
  const decoded: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    if (typeof record['data'] === 'string' && typeof record['metadata'] === 'object') {
      decoded.push(Buffer.from(record['data'], 'base64').toString('utf8'));
    }
    Object.values(record).forEach(visit);
  };
  visit(JSON.parse(historyJson));
  return `${historyJson}\n${decoded.join('\n')}`;
}
