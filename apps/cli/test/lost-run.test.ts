/**
 * A release whose run was lost — terminated by someone, or timed out — after
 * it had published. `relforge status` says so and names the way out;
 * `relforge resume` starts a new run of the same workflow id, which finds
 * every effect of the lost run and makes only what is missing.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { s3Client, workspaceRoot } from '@relforge/local-servers';
import { releaseWorkflowId, statusQuery, type ReleaseStatus } from '@relforge/release';
import type { ReleaseCloudEvent } from '@relforge/release-events';
import { readStackState, workerEnvironment } from '@relforge/stack';
import {
  exampleSecrets,
  releaseEffects,
  releasedOnce,
  secretsInHistory,
  stockStartRelease,
  until,
  type ExampleProject,
} from '@relforge/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exampleOwner, seedExampleRepositories } from '../src/example-seeds.js';
import { runCli, stackEnvironment } from './run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.unstubAllEnvs();
});

/** The local stack in a state folder of its own, on free ports, started the way a person does. */
async function stackUp() {
  const env = await stackEnvironment();
  const dir = env.RELFORGE_STATE_DIR;
  cleanups.push(async () => {
    await runCli(['stack', 'down'], { RELFORGE_STATE_DIR: dir });
    rmSync(dir, { recursive: true, force: true });
  });
  const up = await runCli(['stack', 'up'], env);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  // The stack's state file and credentials are read where the CLI reads them.
  vi.stubEnv('RELFORGE_STATE_DIR', dir);
  return env;
}

/** The bundled example on the stack, as `relforge demo` sets it up: its repositories on the stand-in, its bucket. */
async function exampleOnStack(stateDir: string): Promise<ExampleProject> {
  const state = readStackState();
  if (!state) throw new Error('relforge stack up left no state file');
  const example = join(workspaceRoot(), 'examples', 'hello');
  const owner = exampleOwner;
  const admin = await seedExampleRepositories(state);
  return {
    project: 'hello',
    owner,
    bucket: state.s3.bucket,
    configPath: join(example, 'relforge.yaml'),
    env: workerEnvironment(state),
    workRoot: join(stateDir, 'work'),
    admin,
    repos: {
      source: `${owner}/hello`,
      hashes: `${owner}/hello-hashes`,
      container: `${owner}/hello-container`,
      website: `${owner}/hello-website`,
    },
  };
}

async function temporalClient(): Promise<Client> {
  const state = readStackState();
  if (!state) throw new Error('relforge stack up left no state file');
  const connection = await Connection.connect({ address: state.temporal.address });
  cleanups.push(() => connection.close());
  return new Client({ connection, namespace: state.temporal.namespace });
}

describe('relforge resume of a lost release', () => {
  it(
    'starts a new run of the same workflow that skips every effect the terminated one made',
    { timeout: 300_000 },
    async () => {
      const env = await stackUp();
      const example = await exampleOnStack(env.RELFORGE_STATE_DIR);
      const version = '3.1.4';
      // `stack up` started the stack's worker, with the stack's credentials.
      const client = await temporalClient();

      const started = runCli(['release', version, '--config', example.configPath], env);
      const handle = client.workflow.getHandle(releaseWorkflowId(example.project, version));
      await until('the release to get past publish', async () => {
        const status = await handle.query(statusQuery);
        return status.stages.find((stage) => stage.name === 'publish')?.state === 'succeeded' ? true : undefined;
      });
      const lostRunId = (await handle.describe()).runId;
      await handle.terminate('test: lost run');

      // The command that was following the release says what happened and what to do; it is no bug in Relforge.
      const following = await started;
      expect(following.code).toBe(1);
      expect(following.stderr).toContain(
        `relforge: release ${example.project} ${version} was lost: its run was terminated (test: lost run) before it finished`,
      );
      expect(following.stderr).toContain(`fix: run \`relforge resume ${example.project} ${version}\``);

      const status = await runCli(['status', example.project, version], env);
      expect(status.code).toBe(1);
      expect(status.stderr).toContain(
        `relforge: release ${example.project} ${version} was lost: its run was terminated (test: lost run) before it finished`,
      );
      expect(status.stderr).toContain(`fix: run \`relforge resume ${example.project} ${version}\``);
      const list = await runCli(['status'], env);
      expect(list.stdout).toMatch(
        new RegExp(`^release/${example.project}/${version.replaceAll('.', '\\.')} {2}terminated `, 'm'),
      );

      const resume = await runCli(['resume', example.project, version], env);
      expect(resume.stderr).toBe('');
      expect(resume.code).toBe(0);
      expect(resume.stdout).toContain('the last run terminated; started a new run that skips what is already done');
      expect(resume.stdout).toMatch(
        new RegExp(`^released ${example.project} ${version.replaceAll('.', '\\.')} from [0-9a-f]{12}$`, 'm'),
      );
      expect(resume.stdout).toContain('publish s3: 0 uploaded, 12 already there');
      expect(resume.stdout).toContain('publish assets: 0 uploaded, 12 already there');

      // Two runs of one workflow id: the lost one, terminated, and the one that finished.
      const runs = await until('both runs to be listed', async () => {
        const listed: { runId: string; status: string; started: number }[] = [];
        for await (const execution of client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) {
          listed.push({
            runId: execution.runId,
            status: execution.status.name,
            started: execution.startTime.getTime(),
          });
        }
        return listed.length === 2 && listed.every((run) => run.status !== 'RUNNING')
          ? listed.sort((a, b) => a.started - b.started)
          : undefined;
      });
      expect(runs.map((run) => [run.runId === lostRunId, run.status])).toEqual([
        [true, 'TERMINATED'],
        [false, 'COMPLETED'],
      ]);
      // One event log for both runs: the new run numbers on from the lost run's last event, starting over at queued.
      const events = await runCli(['events', example.project, version, '--json'], env);
      const logged = events.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as ReleaseCloudEvent);
      expect(logged.map((event) => event.data.sequence)).toEqual(logged.map((_, index) => index + 1));
      expect([...new Set(logged.map((event) => event.runid))]).toEqual([lostRunId, runs[1]?.runId]);
      const replacing = logged.find((event) => event.runid !== lostRunId);
      expect(replacing?.type).toBe('dev.relforge.release.queued.v1');
      expect(logged.at(-1)?.type).toBe('dev.relforge.release.succeeded.v1');
      const finished = (await client.workflow.getHandle(handle.workflowId, runs[1]?.runId).result()) as ReleaseStatus;
      expect(finished.stages.map((stage) => [stage.name, stage.state])).toEqual(
        ['build', 'checksum', 'publish', 'checksum-repo', 'container-repo', 'website'].map((name) => [
          name,
          'succeeded',
        ]),
      );
      const publish = finished.stages.find((stage) => stage.name === 'publish');
      expect([publish?.outputs['s3'], publish?.outputs['assets']]).toEqual([
        '0 uploaded, 12 already there',
        '0 uploaded, 12 already there',
      ]);

      const { s3 } = readStackState() ?? {};
      if (!s3) throw new Error('the stack state file has no S3 server');
      const s3Keys = {
        accessKeyId: example.env['RELFORGE_S3_ACCESS_KEY_ID'] ?? '',
        secretAccessKey: example.env['RELFORGE_S3_SECRET_ACCESS_KEY'] ?? '',
      };
      expect(
        await releaseEffects(example, version, s3Client({ endpoint: s3.endpoint, region: s3.region, ...s3Keys })),
      ).toEqual(releasedOnce);
      for (const run of runs) {
        const history = await client.workflow.getHandle(handle.workflowId, run.runId).fetchHistory();
        expect(secretsInHistory(historyToJSON(history), exampleSecrets(example))).toEqual([]);
      }
      // A stray start of the released version, as a tag-triggered job would make with the stock CLI: its run is refused
      // in its first step, and the CLI still reports the version as released, starting nothing more.
      const { temporal } = readStackState() ?? {};
      if (!temporal) throw new Error('the stack state file has no Temporal server');
      const stray = await stockStartRelease(temporal, handle.workflowId, { project: example.project, version });
      expect(stray.ok, stray.output).toBe(true);
      const refused = await until('the stray run to be refused', async () =>
        (await handle.describe()).status.name === 'FAILED' ? true : undefined,
      );
      expect(refused).toBe(true);
      const statusAfter = await runCli(['status', example.project, version], env);
      expect(statusAfter.code).toBe(0);
      expect(statusAfter.stdout).toMatch(
        new RegExp(`^released ${example.project} ${version.replaceAll('.', '\\.')} from `, 'm'),
      );
      const again = await runCli(['release', version, '--config', example.configPath], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`${example.project} ${version} is already released; nothing was changed.`);
      const resumeAgain = await runCli(['resume', example.project, version], env);
      expect(resumeAgain.code).toBe(0);
      expect(resumeAgain.stdout).toContain(`${example.project} ${version} is already released; nothing to resume.`);
      // The lost run, the one that finished, and the refused stray one: `release` and `resume` started none.
      const statuses = await until('the stray run to be listed', async () => {
        const listed: string[] = [];
        for await (const execution of client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` }))
          listed.push(execution.status.name);
        return listed.length >= 3 ? listed.sort() : undefined;
      });
      expect(statuses).toEqual(['COMPLETED', 'FAILED', 'TERMINATED']);
      expect(
        await releaseEffects(example, version, s3Client({ endpoint: s3.endpoint, region: s3.region, ...s3Keys })),
      ).toEqual(releasedOnce);
    },
  );
});
