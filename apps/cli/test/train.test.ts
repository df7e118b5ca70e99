/**
 * A prerelease train on the local stack, driven by `relforge train` as a person drives it: beta.1 → beta.2 → rc.1 →
 * final, each a real release whose forge release, container entries and website page are checked at its step; a
 * backward promotion and a final before its soak time refused; the worker SIGKILLed in the middle of a prerelease and
 * every server restarted on its data during the soak; the train continuing as new after two steps.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { workspaceRoot } from '@relforge/local-servers';
import { releaseWorkflowId, statusQuery, trainWorkflowId, type TrainStatus } from '@relforge/release';
import { localCredentials, readStackState } from '@relforge/stack';
import { until } from '@relforge/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { seedExampleRepositories, exampleOwner } from '../src/dev/example-seeds.js';
import { runCli, stackEnvironment, startCli } from './run-cli.js';
import { temporalClient } from './stack.js';

const project = 'hello';
const version = '2.0.0';
const soak = 40;

/** The bundled example with a train: channels alpha, beta, rc; an rc required; a soak; two steps a run. */
function trainConfig(dir: string): string {
  const text = readFileSync(join(workspaceRoot(), 'examples', 'hello', 'relforge.yaml'), 'utf8')
    .replace('  envPrefix: HELLO\n', "  envPrefix: HELLO\n  prerelease:\n    line: '{majorMinor}-rc'\n")
    .concat(`train:\n  channels: [alpha, beta, rc]\n  requireRc: true\n  soak: ${soak}s\n  stepsPerRun: 2\n`);
  const path = join(dir, 'relforge.yaml');
  writeFileSync(path, text);
  return path;
}

/** A file of a branch of one of the example's repositories on the stand-in, read through git as anyone would. */
function fileOnBranch(repo: string, branch: string, path: string): string | undefined {
  const state = readStackState();
  if (!state) throw new Error('no stack state');
  const dir = mkdtempSync(join(tmpdir(), 'relforge-train-read-'));
  try {
    const auth = `Authorization: Basic ${Buffer.from(`x-access-token:${localCredentials().githubToken}`).toString('base64')}`;
    execFileSync(
      'git',
      [
        '-c',
        `http.extraHeader=${auth}`,
        'clone',
        '--quiet',
        '--depth',
        '1',
        '--branch',
        branch,
        `${state.github.url}/${repo}.git`,
        dir,
      ],
      { env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' }, stdio: 'ignore' },
    );
    return readFileSync(join(dir, path), 'utf8');
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function forgeRelease(path: string): Promise<{ status: number; json?: Record<string, unknown> }> {
  const state = readStackState();
  if (!state) throw new Error('no stack state');
  const response = await fetch(`${state.github.url}/repos/${exampleOwner}/${project}/releases/${path}`, {
    headers: { authorization: `Bearer ${localCredentials().githubToken}`, accept: 'application/vnd.github+json' },
  });
  return response.ok
    ? { status: response.status, json: (await response.json()) as Record<string, unknown> }
    : { status: response.status };
}

/** What a step of the train left on the forge, in the container repository and on the website. */
async function effectsOf(release: string) {
  const byTag = await forgeRelease(`tags/v${release}`);
  const latest = await forgeRelease('latest');
  const versions = fileOnBranch(`${exampleOwner}/hello-container`, `update-${release}`, 'versions.json');
  const page = fileOnBranch(
    `${exampleOwner}/hello-website`,
    `update-website-${release}`,
    `content/download/releases/v${release.replaceAll('.', '-')}.md`,
  );
  return {
    prerelease: byTag.json?.['prerelease'],
    draft: byTag.json?.['draft'],
    latestTag: latest.json?.['tag_name'] ?? `none (${latest.status})`,
    versions: versions === undefined ? undefined : (JSON.parse(versions) as Record<string, { version: string }>),
    page,
  };
}

const stableEntry = {
  version: '1.0.0',
  url: 'https://downloads.example.invalid/releases/hello-1.0.0.tar.gz',
  sha256: '0b4cda9b2f1e6d33a8e5e0a2c43c9d4be8f0be7a0bd8c4c1b0e2b3a5d6c7e8f9',
};

async function expectPrerelease(release: string): Promise<void> {
  const effects = await effectsOf(release);
  expect({ prerelease: effects.prerelease, draft: effects.draft, latest: effects.latestTag }).toEqual({
    prerelease: true,
    draft: false,
    // No stable release yet, and a prerelease never becomes the latest.
    latest: 'none (404)',
  });
  // The prerelease's own entry; the stable 1.0 entry as it was, and no 2.0 entry made by a prerelease.
  expect(effects.versions?.['1.0']).toEqual(stableEntry);
  expect(effects.versions?.['2.0-rc']?.version).toBe(release);
  expect(Object.keys(effects.versions ?? {}).sort()).toEqual(['1.0', '2.0-rc']);
  expect(fileOnBranch(`${exampleOwner}/hello-container`, `update-${release}`, '2.0-rc/bookworm/Dockerfile')).toContain(
    release,
  );
  expect(effects.page).toContain(`title: "${release}"`);
  expect(effects.page).toMatch(/^ {4}prerelease: true$/m);
}

async function trainStatus(env: NodeJS.ProcessEnv): Promise<TrainStatus> {
  const status = await runCli(['train', 'status', project, version, '--json'], env);
  expect(status.stderr).toBe('');
  return JSON.parse(status.stdout) as TrainStatus;
}

describe('relforge train', () => {
  it(
    'releases beta.1, beta.2, rc.1 and the final through worker and server restarts, refusing what the config forbids',
    { timeout: 900_000 },
    async () => {
      const env = await stackEnvironment();
      const configDir = mkdtempSync(join(tmpdir(), 'relforge-train-config-'));
      onTestFinished(async () => {
        await runCli(['stack', 'down'], { RELFORGE_STATE_DIR: env.RELFORGE_STATE_DIR });
        rmSync(env.RELFORGE_STATE_DIR, { recursive: true, force: true });
        rmSync(configDir, { recursive: true, force: true });
      });
      const config = trainConfig(configDir);
      const up = async () => {
        const started = await runCli(['stack', 'up', '--config', config], env);
        expect(started.stderr).toBe('');
        expect(started.code).toBe(0);
      };
      await up();
      process.env['RELFORGE_STATE_DIR'] = env.RELFORGE_STATE_DIR;
      onTestFinished(() => {
        delete process.env['RELFORGE_STATE_DIR'];
      });
      const state = readStackState();
      if (!state) throw new Error('relforge stack up left no state file');
      await seedExampleRepositories(state);

      const prerelease = await runCli(['train', 'start', project, '2.0.0-rc.1'], env);
      expect(prerelease.code).toBe(2);
      expect(prerelease.stderr).toBe(
        'relforge: train hello 2.0.0-rc.1 refused: version: a train is named by its final version, not a prerelease (2.0.0-rc.1)\n  fix: start the train of 2.0.0; it releases the prereleases itself\n',
      );
      const start = await runCli(['train', 'start', project, version, '--channel', 'beta'], env);
      expect(start.stderr).toBe('');
      expect(start.stdout).toContain(`train ${project} ${version} (${trainWorkflowId(project, version)}) is on beta`);

      // beta.1
      const beta1 = await runCli(['train', 'next', project, version], env);
      expect(beta1.stderr).toBe('');
      expect(beta1.stdout).toContain(`releasing 2.0.0-beta.1 (release/${project}/2.0.0-beta.1)`);
      expect(beta1.stdout).toContain('2.0.0-beta.1 released');
      expect(beta1.code).toBe(0);
      await expectPrerelease('2.0.0-beta.1');

      // Backward: refused, naming the field, and nothing is started.
      const back = await runCli(['train', 'promote', project, version, 'alpha'], env);
      expect(back.code).toBe(2);
      expect(back.stderr).toContain(
        `relforge: train ${project} ${version} refused: channel: the train is on beta; it only moves forward (rc, final), never back to alpha`,
      );
      const unknown = await runCli(['train', 'promote', project, version, 'gamma'], env);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain(
        'channel: "gamma" is not a channel of this train; expected one of alpha, beta, rc, final',
      );
      // The final without an rc: refused, saying what it waits for.
      const early = await runCli(['train', 'promote', project, version, 'final'], env);
      expect(early.code).toBe(2);
      expect(early.stderr).toContain('final: not yet, it waits for an rc prerelease (train.requireRc is true)');

      // beta.2, with the worker SIGKILLed while it runs; the stack's next worker finishes it.
      const client = await temporalClient();
      const beta2 = startCli(['train', 'next', project, version], env);
      const release2 = client.workflow.getHandle(releaseWorkflowId(project, '2.0.0-beta.2'));
      await until(
        'beta.2 to be building',
        async () => {
          const status = await release2.query(statusQuery).catch(() => undefined);
          return status?.currentStage === 'build' || status?.currentStage === 'checksum' ? true : undefined;
        },
        120_000,
        200,
      );
      const workerPid = readStackState()?.worker?.pid;
      if (workerPid === undefined) throw new Error('the stack has no worker');
      process.kill(workerPid, 'SIGKILL');
      await until('the worker to be gone', async () => (isAlive(workerPid) ? undefined : true));
      await up();
      expect(readStackState()?.worker?.pid).not.toBe(workerPid);
      const beta2Done = await beta2.exited;
      expect(beta2Done.stdout).toContain('2.0.0-beta.2 released');
      expect(beta2Done.code).toBe(0);
      await expectPrerelease('2.0.0-beta.2');

      // Two steps: the train continued as new, its steps carried.
      const afterBetas = await until('the train to continue as new', async () => {
        const status = await trainStatus(env);
        return status.runs === 2 ? status : undefined;
      });
      expect(afterBetas.steps.map((step) => [step.version, step.outcome])).toEqual([
        ['2.0.0-beta.1', 'released'],
        ['2.0.0-beta.2', 'released'],
      ]);

      // rc.1
      const rc = await runCli(['train', 'promote', project, version, 'rc'], env);
      expect(rc.stderr).toBe('');
      expect(rc.stdout).toContain('2.0.0-rc.1 released');
      await expectPrerelease('2.0.0-rc.1');

      // The final before its soak time: refused with the time left.
      const soaking = await runCli(['train', 'promote', project, version, 'final'], env);
      expect(soaking.code).toBe(2);
      expect(soaking.stderr).toMatch(
        /final: not yet, it waits for the soak time: \d+s left of train\.soak 40s since 2\.0\.0-rc\.1 was released/,
      );

      // Every server stopped and started again on its data, meanwhile.
      const down = await runCli(['stack', 'down'], env);
      expect(down.code).toBe(0);
      await up();

      const status = await runCli(['train', 'status', project, version], env);
      expect(status.stderr).toBe('');
      expect(status.stdout).toContain(`train ${project} ${version}: open, on rc (channels alpha → beta → rc → final)`);
      for (const release of ['2.0.0-beta.1', '2.0.0-beta.2', '2.0.0-rc.1'])
        expect(status.stdout).toMatch(
          new RegExp(`^ {2}${release.replaceAll('.', '\\.')} {2}released {2}\\d{4}-\\d\\d-\\d\\dT`, 'm'),
        );
      const soakUntil = (await trainStatus(env)).soakUntil;
      if (!soakUntil) throw new Error('the train reports no soak time');
      if (Date.parse(soakUntil) > Date.now()) expect(status.stdout).toContain('the final waits for: the soak time, ');
      await sleep(Math.max(0, Date.parse(soakUntil) - Date.now() + 1_000));

      const final = await runCli(['train', 'promote', project, version, 'final'], env);
      expect(final.stderr).toBe('');
      expect(final.stdout).toContain(`releasing ${version} (release/${project}/${version})`);
      expect(final.stdout).toContain(`${version} released`);
      const effects = await effectsOf(version);
      expect({ prerelease: effects.prerelease, draft: effects.draft, latest: effects.latestTag }).toEqual({
        prerelease: false,
        draft: false,
        latest: `v${version}`,
      });
      expect(effects.versions).toEqual({ '1.0': stableEntry, '2.0': expect.objectContaining({ version }) });
      expect(effects.page).toContain(`title: "${version}"`);
      expect(effects.page).not.toContain('prerelease');

      const finished = await trainStatus(env);
      expect(finished.state).toBe('finished');
      expect(finished.runs).toBe(2);
      expect(finished.steps.map((step) => [step.version, step.channel, step.outcome])).toEqual([
        ['2.0.0-beta.1', 'beta', 'released'],
        ['2.0.0-beta.2', 'beta', 'released'],
        ['2.0.0-rc.1', 'rc', 'released'],
        [version, 'final', 'released'],
      ]);
      const train = client.workflow.getHandle(trainWorkflowId(project, version));
      expect((await train.describe()).status.name).toBe('COMPLETED');
      const runs: string[] = [];
      for await (const execution of client.workflow.list({
        query: `WorkflowId = "${trainWorkflowId(project, version)}"`,
      }))
        runs.push(execution.status.name);
      expect(runs.sort()).toEqual(['COMPLETED', 'CONTINUED_AS_NEW']);
      const after = await runCli(['train', 'next', project, version], env);
      expect(after.code).toBe(2);
      expect(after.stderr).toContain(`relforge: train ${project} ${version} is finished: ${version} is released`);
      // Starting it again is refused the same way: a finished train is the version's history, not a new train.
      const again = await runCli(['train', 'start', project, version], env);
      expect([again.code, again.stdout]).toEqual([2, '']);
      expect(again.stderr).toBe(
        `relforge: train ${project} ${version} is finished: ${version} is released\n  fix: see \`relforge train status ${project} ${version}\`; a later version needs a train of its own\n`,
      );
    },
  );
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
