/**
 * A release whose run was lost — terminated by someone, or timed out — after
 * it had published. `relforge status` says so and names the way out;
 * `relforge resume` starts a new run of the same workflow id, which finds
 * every effect of the lost run and makes only what is missing.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { s3Client } from '@relforge/local-servers';
import { releaseWorkflowId, statusQuery, type ReleaseStatus } from '@relforge/release';
import type { ReleaseCloudEvent } from '@relforge/release-events';
import { readStackState } from '@relforge/stack';
import {
  exampleSecrets,
  releaseEffects,
  releasedOnce,
  secretsInHistory,
  stockStartRelease,
  until,
} from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { exampleOnStack, stackUp, temporalClient } from './stack.js';

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
      expect(resume.stdout).toContain('publish s3: 0 uploaded, 15 already there');
      expect(resume.stdout).toContain('publish assets: 0 uploaded, 15 already there');

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
      // Both commands start their run with the one line the Web UI lists it by.
      for (const run of runs) {
        const description = await client.workflow.getHandle(handle.workflowId, run.runId).describe();
        expect(await description.staticSummary()).toBe(`release ${example.project} ${version}`);
      }

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
        '0 uploaded, 15 already there',
        '0 uploaded, 15 already there',
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
