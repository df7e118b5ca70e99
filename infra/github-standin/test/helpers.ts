/**
 * What every suite needs: a stand-in process on a scratch data folder, an
 * Octokit wired like Relforge's (retry + throttling, with timings short
 * enough for tests), and real git pointed at the stand-in.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { spawnGitHubStandIn, type RunningStandIn, type SpawnStandInOptions } from '../src/index.js';

const RelforgeOctokit = Octokit.plugin(retry, throttling);

export interface ThrottleEvents {
  secondary: number[];
  primary: number[];
}

/** Octokit logs every failed request; the tests provoke failures on purpose. */
export const quietLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Octokit as Relforge configures it, but waiting milliseconds where GitHub would make it wait seconds. */
export function octokitFor(
  standIn: { url: string },
  token: string,
  events: ThrottleEvents = { secondary: [], primary: [] },
): Octokit {
  return new RelforgeOctokit({
    auth: token,
    baseUrl: standIn.url,
    log: quietLog,
    // 429 joins plugin-retry's defaults so plugin-throttling answers it, honouring retry-after; plugin-retry would wait (n+1)² s regardless.
    retry: { retryAfterBaseValue: 20, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      retryAfterBaseValue: 200,
      // The default groups space writes 1 s and notifying writes (releases, pulls) 3 s apart: right for GitHub, slow here.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 }),
      onSecondaryRateLimit: (retryAfter, _options, _octokit, retryCount) => {
        events.secondary.push(retryAfter);
        return retryCount < 2;
      },
      onRateLimit: (retryAfter, _options, _octokit, retryCount) => {
        events.primary.push(retryAfter);
        return retryCount < 2;
      },
    },
  });
}

export interface Scratch {
  dir: string;
  dataDir: string;
  token: string;
  remove(): void;
}

export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-standin-'));
  return {
    dir,
    dataDir: join(dir, 'data'),
    token: `ghp_${randomBytes(16).toString('hex')}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function startStandIn(space: Scratch, extra: Partial<SpawnStandInOptions> = {}): Promise<RunningStandIn> {
  return spawnGitHubStandIn({ dataDir: space.dataDir, tokens: [space.token], ...extra });
}

/** A folder with a file or two, to seed a repository from. */
export function seedFolder(space: Scratch, name = 'seed'): string {
  const dir = join(space.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'README.md'), '# hello\n');
  writeFileSync(join(dir, 'VERSION'), '0.1.0\n');
  return dir;
}

export interface GitClient {
  (args: string[], cwd?: string): string;
  env: NodeJS.ProcessEnv;
}

/**
 * Real git with no user config, an identity of its own, and the token sent as
 * an extra header through GIT_CONFIG_* so it never appears on a command line.
 */
/** `token: null` sends no credentials at all. */
export function gitClient(space: Scratch, token: string | null = space.token): GitClient {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: space.dir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Relforge Test',
    GIT_AUTHOR_EMAIL: 'test@relforge.invalid',
    GIT_COMMITTER_NAME: 'Relforge Test',
    GIT_COMMITTER_EMAIL: 'test@relforge.invalid',
    ...(token
      ? {
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: 'http.extraHeader',
          GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
        }
      : {}),
  };
  const git = ((args: string[], cwd = space.dir) =>
    execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()) as GitClient;
  git.env = env;
  return git;
}
