/**
 * Vitest global setup: one Temporal dev server and one S3 server per test run,
 * on free ports, torn down when the run ends so no process is left behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { spawnGitHubStandIn, type RunningStandIn } from '@relforge/github-standin';
import { freePort, startS3Server } from '@relforge/local-servers';
import { startDevServer } from './temporal.js';
import type { TestStack } from './stack.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scratchDir = mkdtempSync(join(tmpdir(), 'relforge-test-'));
  const temporal = await startDevServer();
  let s3: Awaited<ReturnType<typeof startS3Server>> | undefined;
  let github: RunningStandIn | undefined;
  // Enough credentials for a test of per-credential write pacing to give each of a few projects its own.
  const githubTokens = Array.from({ length: 8 }, () => `ghp_${randomBytes(18).toString('hex')}`);
  const githubToken = githubTokens[0] as string;
  const teardown = async () => {
    await Promise.allSettled([temporal.teardown(), s3?.process.stop(), github?.stop()]);
    rmSync(scratchDir, { recursive: true, force: true });
  };
  try {
    s3 = await startS3Server({
      port: await freePort(),
      dataDir: join(scratchDir, 's3'),
      logFile: join(scratchDir, 's3.log'),
      accessKeyId: `test-${randomBytes(4).toString('hex')}`,
      secretAccessKey: randomBytes(18).toString('base64url'),
    });
    github = await spawnGitHubStandIn({ dataDir: join(scratchDir, 'github'), tokens: githubTokens });
  } catch (error) {
    await teardown();
    throw error;
  }
  const stack: TestStack = {
    temporal: { address: temporal.address, namespace: temporal.namespace, uiUrl: temporal.uiUrl },
    s3: s3.endpoint,
    github: { url: github.url, token: githubToken, tokens: githubTokens },
    scratchDir,
  };
  project.provide('relforgeStack', stack);
  return teardown;
}
