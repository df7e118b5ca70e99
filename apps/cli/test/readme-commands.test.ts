/**
 * Every command README.md and the pages of docs/ show in their shell blocks, run as a newcomer would: README.md first,
 * then the pages in docs/index.md's order, each in its own order, through a shell, from the repository root, with
 * `relforge` from the PATH (put there by the bootstrap). The stack runs on free ports in a state folder of its own;
 * the variables the docs document for that are the only difference. A command added to a page without a step here,
 * or a step whose command left the docs, fails the test.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandInAdmin } from '@relforge/github-standin';
import { freePort, workspaceRoot } from '@relforge/local-servers';
import { until } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from './run-cli.js';

const root = workspaceRoot();
const config = 'examples/hello/relforge.yaml';

/** README.md, then the pages docs/index.md links to, in its order: the order a newcomer reads them in. */
function documentationPages(): string[] {
  const index = readFileSync(join(root, 'docs', 'index.md'), 'utf8');
  const pages = [...index.matchAll(/^\d+\. \[[^\]]*\]\(([\w-]+\.md)\)/gm)].map(([, page = '']) => join('docs', page));
  return ['README.md', ...pages];
}

/** The command lines of the docs' ```sh blocks, trailing `   # comments` dropped. */
function readmeCommands(): string[] {
  const text = documentationPages()
    .map((page) => readFileSync(join(root, page), 'utf8'))
    .join('\n');
  const blocks = text.matchAll(/^```sh\n([\s\S]*?)^```/gm);
  return [...blocks].flatMap(([, body = '']) =>
    body
      .split('\n')
      .map((line) => line.replace(/\s{2,}#.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

let env: NodeJS.ProcessEnv = {};
let stateDir = '';

function sh(command: string, timeoutMs = 600_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      { cwd: root, env, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

const demoToken = () =>
  (JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8')) as { demoToken: string }).demoToken;

const stand = () => new StandInAdmin(`http://127.0.0.1:${env['RELFORGE_GITHUB_PORT']}`);
const parked = ['1.5.0', '1.5.1', '1.5.2', '1.5.3', '1.5.4', '1.5.5'];

/**
 * Releases that wait for an operator, for the README's resume and abort commands (1.5.5 for the dispatched abort): the
 * forge refuses the token at publish.
 */
async function parkReleases(): Promise<void> {
  await stand().addFault({
    match: { method: 'GET', path: '/repos/relforge-examples/hello/releases' },
    count: 1000,
    status: 401,
  });
  const results = await Promise.all(parked.map((version) => sh(`relforge release ${version} --config ${config}`)));
  for (const result of results) {
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.stdout, output).toContain('is waiting for an operator at publish');
    expect(result.code, output).toBe(4);
  }
  await stand().clearFaults();
}

async function statusOf(version: string): Promise<{ state: string; audit: { action: string; note?: string }[] }> {
  const result = await sh(`relforge status hello ${version} --json`);
  return JSON.parse(result.stdout) as { state: string; audit: { action: string; note?: string }[] };
}

const untilState = (version: string, state: string) =>
  until(`hello ${version} to be ${state}`, async () => ((await statusOf(version)).state === state ? true : undefined));

interface Step {
  /** What the README says this command does, checked on its output. */
  expect: (result: CliResult) => void | Promise<void>;
  before?: () => Promise<void>;
  /** Runs until it logs this, then gets SIGTERM, as a person stops a foreground worker. */
  foregroundUntil?: string;
}

const steps = new Map<string, Step>([
  [
    'bash infra/bootstrap.sh demo',
    {
      expect: ({ code, stdout }) => {
        expect(code).toBe(0);
        expect(stdout).toMatch(/^released hello 1\.2\.3 from [0-9a-f]{12}$/m);
        expect(stdout).toContain('the stack keeps running for the Web UI; stop it with: relforge stack down');
      },
    },
  ],
  ['bash infra/bootstrap.sh test', { expect: () => undefined }],
  [
    `relforge release 1.3.0 --config ${config}`,
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toMatch(/^released hello 1\.3\.0 from [0-9a-f]{12}$/m);
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge status hello 1.3.0',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toMatch(/^✓ website \(/m);
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge status',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toMatch(/^release\/hello\/1\.3\.0 {2}completed {2}succeeded/m);
        expect(code).toBe(0);
      },
    },
  ],
  [
    `infra/.bin/temporal workflow start --namespace relforge --type release --task-queue relforge --workflow-id release/hello/1.4.0 --input '{"project":"hello","version":"1.4.0"}'`,
    {
      expect: async ({ code }) => {
        expect(code).toBe(0);
        await untilState('1.4.0', 'succeeded');
      },
    },
  ],
  [
    'infra/.bin/temporal workflow list --namespace relforge',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toContain('release/hello/1.4.0');
        expect(code).toBe(0);
      },
    },
  ],
  [
    `relforge worker --config ${config}`,
    {
      foregroundUntil: 'relforge worker: polling task queue',
      expect: ({ code, stdout }) => {
        // Without --builds, a worker builds this machine's platform when the matrix has it (the CI machine's is in it).
        expect(stdout).toMatch(
          /^relforge worker: polling task queues "relforge", "relforge-build-[a-z]+-(x86_64|arm64)" on /m,
        );
        expect(stdout).toContain('relforge worker: releases hello;');
        expect(stdout).toContain('relforge worker: stopped');
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge resume hello 1.5.0 --note "rotated the token"',
    {
      before: parkReleases,
      expect: ({ code, stdout }) => {
        expect(stdout).toContain('resumed hello 1.5.0');
        expect(stdout).toMatch(/^released hello 1\.5\.0 from [0-9a-f]{12}$/m);
        expect(stdout).toMatch(/ resume at publish: rotated the token$/m);
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge abort hello 1.5.1 --reason "superseded by 1.5.2"',
    {
      expect: async ({ code, stdout }) => {
        expect(stdout).toContain('abort sent to hello 1.5.1: superseded by 1.5.2');
        expect(code).toBe(0);
        await untilState('1.5.1', 'cancelled');
        expect((await statusOf('1.5.1')).audit).toContainEqual(
          expect.objectContaining({ action: 'abort', note: 'superseded by 1.5.2' }),
        );
      },
    },
  ],
  [
    `infra/.bin/temporal workflow update execute --namespace relforge --workflow-id release/hello/1.5.2 --name resume --input '{"note":"rotated the token"}'`,
    {
      expect: async ({ code }) => {
        expect(code).toBe(0);
        await untilState('1.5.2', 'succeeded');
      },
    },
  ],
  [
    `infra/.bin/temporal workflow signal --namespace relforge --workflow-id release/hello/1.5.3 --name abort --input '{"reason":"superseded"}'`,
    {
      expect: async ({ code }) => {
        expect(code).toBe(0);
        await untilState('1.5.3', 'cancelled');
      },
    },
  ],
  [
    `relforge release 1.2.3 --config ${config} --rerelease --reason "asset deleted by mistake"`,
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toMatch(/^released hello 1\.2\.3 from [0-9a-f]{12}$/m);
        expect(stdout).toMatch(/ rerelease by \S+@\S+: asset deleted by mistake$/m);
        expect(stdout).toContain('publish s3: 0 uploaded, 15 already there');
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge abort hello 1.5.4 --rollback --reason "the token was revoked; releasing 1.5.5"',
    {
      // Parked by the forge refusing the token before a draft existed: its S3 and staged files go, nothing was public.
      expect: async ({ code, stdout }) => {
        expect(stdout).toContain('rolled back hello 1.5.4');
        expect(stdout).toMatch(/^removed, never public \(\d+\):$/m);
        expect(stdout).toContain('- s3://relforge-releases/releases/hello-1.5.4.tar.gz\n');
        expect(stdout).toContain('- s3://relforge-releases/relforge-staging/hello/1.5.4/');
        expect(stdout).toContain('kept, public (1):');
        expect(code).toBe(0);
        expect((await statusOf('1.5.4')).state).toBe('cancelled');
      },
    },
  ],
  [
    'relforge train start hello 2.0.0 --channel beta',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toContain('train hello 2.0.0 (train/hello/2.0.0) is on beta');
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge train next hello 2.0.0',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toContain('releasing 2.0.0-beta.1 (release/hello/2.0.0-beta.1)');
        expect(stdout).toContain('2.0.0-beta.1 released');
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge train promote hello 2.0.0 rc',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toContain('2.0.0-rc.1 released');
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge train promote hello 2.0.0 final',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toContain('releasing 2.0.0 (release/hello/2.0.0)');
        expect(stdout).toContain('2.0.0 released');
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge train status hello 2.0.0',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toContain('train hello 2.0.0: finished, on final (channels alpha → beta → rc → final)');
        expect(stdout).toMatch(/^ {2}2\.0\.0-rc\.1 {2}released {2}\d{4}-/m);
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge dispatch --list',
    {
      expect: ({ code, stdout, stderr }) => {
        expect(stdout).toMatch(/^release {2}Release a version of the project/m);
        expect(stdout).toMatch(/^ {4}version {8}string {3}required {2}The version, e\.g\. 1\.5\.0\.$/m);
        for (const operation of [
          're-release',
          'resume',
          'abort',
          'approve',
          'train-start',
          'train-next',
          'train-promote',
        ]) {
          expect(stdout).toMatch(new RegExp(`^${operation} {2}`, 'm'));
        }
        // Listing needs no token, so the demo person is not mentioned.
        expect(stderr).toBe('');
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge dispatch release --project hello -f version=1.6.0',
    {
      expect: async ({ code, stdout, stderr }) => {
        expect(stdout).toBe('release hello 1.6.0 started (workflow release/hello/1.6.0)\n');
        expect(stderr).toBe(
          "relforge: using the local stack's demo token for demo-maintainer (set RELFORGE_GITHUB_TOKEN to act as yourself)\n",
        );
        expect(code).toBe(0);
        // It runs on in the background, on the stack's worker, to the end.
        await untilState('1.6.0', 'succeeded');
      },
    },
  ],
  [
    'relforge dispatch abort --project hello -f version=1.5.5 -f reason="superseded by 1.6.0" -f rollback=true',
    {
      expect: async ({ code, stdout }) => {
        expect(stdout).toBe(
          'abort with rollback sent to hello 1.5.5: superseded by 1.6.0 (workflow release/hello/1.5.5)\n',
        );
        expect(code).toBe(0);
        await untilState('1.5.5', 'cancelled');
      },
    },
  ],
  [
    'relforge audit --project hello --since 2h',
    {
      expect: ({ code, stdout }) => {
        const lines = stdout.trimEnd().split('\n');
        // The dispatches, accepted by the default rules (write or more: the demo person is admin), each naming its
        // workflow; the operator's CLI actions too.
        expect(lines).toContainEqual(
          expect.stringMatching(
            /^\S+Z {2}demo-maintainer \(github-token\) {2}via dispatch {2}release hello version=1\.6\.0 {2}accepted by default access\.release\.minRole {2}→ release\/hello\/1\.6\.0$/,
          ),
        );
        expect(lines).toContainEqual(
          expect.stringMatching(
            /^\S+Z {2}demo-maintainer \(github-token\) {2}via dispatch {2}abort hello version=1\.5\.5 reason=superseded by 1\.6\.0 rollback=true {2}accepted by default access\.abort\.minRole {2}→ release\/hello\/1\.5\.5$/,
          ),
        );
        expect(lines).toContainEqual(
          expect.stringMatching(
            /^\S+Z {2}\S+@\S+ \(temporal-credentials\) {2}via cli {2}resume hello version=1\.5\.0\b/,
          ),
        );
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge audit --actor demo-maintainer --json',
    {
      expect: ({ code, stdout }) => {
        const records = stdout
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line) as { actor: { login?: string }; operation: string; decision: string });
        expect(records.map(({ operation, decision }) => `${operation} ${decision}`)).toEqual([
          'release accepted',
          'abort accepted',
        ]);
        expect(records.every((record) => record.actor.login === 'demo-maintainer')).toBe(true);
        // The demo token is the stack's secret: neither the trail nor the command's output holds it.
        expect(stdout).not.toContain(demoToken());
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge stack up',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toContain('local stack is up:');
        expect(stdout).toMatch(/^worker {5}running, pid \d+/m);
        expect(stdout).toMatch(/^demo user {2}demo-maintainer {2}\(admin on relforge-examples\/hello; /m);
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge stack status',
    {
      expect: ({ code, stdout }) => {
        expect(stdout).toContain('local stack: running');
        expect(code).toBe(0);
      },
    },
  ],
  [
    'relforge stack down',
    {
      expect: async ({ code, stdout }) => {
        expect(stdout).toContain('local stack stopped');
        expect(code).toBe(0);
        const after = await sh('relforge stack status');
        expect(after.code).toBe(1);
      },
    },
  ],
  ['pnpm format', { expect: ({ code }) => expect(code).toBe(0) }],
  ['pnpm build', { expect: ({ code }) => expect(code).toBe(0) }],
  ['pnpm typecheck', { expect: ({ code }) => expect(code).toBe(0) }],
  ['pnpm lint', { expect: ({ code }) => expect(code).toBe(0) }],
  [
    'pnpm deps',
    {
      expect: ({ code, stdout }) => {
        expect(code).toBe(0);
        expect(stdout).toContain('no dependency violations found');
      },
    },
  ],
]);

/** A foreground command, stopped with SIGTERM once it printed `ready`. */
function foreground(command: string, ready: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `exec ${command}`], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stopping = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Once, as a person presses Ctrl-C once: a second signal is the way to force an exit.
      if (stdout.includes(ready) && !stopping) stopping = child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 143), stdout, stderr });
    });
  });
}

describe('the README and docs/, command by command', () => {
  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'relforge-readme-'));
    const temporalPort = await freePort();
    // A newcomer's shell names no gateway and holds no token: the stack's gateway and its demo person are used.
    const inherited = { ...process.env };
    delete inherited['RELFORGE_GATEWAY_URL'];
    delete inherited['RELFORGE_GITHUB_TOKEN'];
    env = {
      ...inherited,
      RELFORGE_STATE_DIR: stateDir,
      RELFORGE_TEMPORAL_PORT: String(temporalPort),
      RELFORGE_UI_PORT: String(await freePort()),
      RELFORGE_S3_PORT: String(await freePort()),
      RELFORGE_GITHUB_PORT: String(await freePort()),
      RELFORGE_GATEWAY_PORT: String(await freePort()),
      RELFORGE_NATS_PORT: String(await freePort()),
      // The documented way to point `relforge worker` and the stock CLI at a Temporal other than 127.0.0.1:7233.
      RELFORGE_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    };
  });
  afterAll(async () => {
    await sh('relforge stack down');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('finds `relforge` on the PATH, as this checkout’s CLI', async () => {
    const which = await sh('command -v relforge');
    expect(which.code, 'relforge is not on the PATH: run `bash infra/bootstrap.sh setup`').toBe(0);
    expect(realpathSync(which.stdout.trim())).toBe(join(root, 'apps', 'cli', 'dist', 'main.js'));
  });

  it('has a step for every command it shows, in its order', () => {
    expect(readmeCommands()).toEqual([...steps.keys()]);
  });

  it('runs each command as written, and each does what the README says', { timeout: 1_200_000 }, async () => {
    for (const command of readmeCommands()) {
      const step = steps.get(command);
      if (!step) throw new Error(`no step for README command: ${command}`);
      // The test command is the one running this test.
      if (command === 'bash infra/bootstrap.sh test') continue;
      await step.before?.();
      const result = step.foregroundUntil ? await foreground(command, step.foregroundUntil) : await sh(command);
      try {
        await step.expect(result);
      } catch (error) {
        throw new Error(`README command \`${command}\` (exit ${result.code}):\n${result.stdout}\n${result.stderr}`, {
          cause: error,
        });
      }
    }
  });
});
