/**
 * `relforge abort --rollback` on releases that wait for an operator, with the worker as its own process: aborted
 * before publish, nothing of the release is left; aborted after publish, what is public stays and is listed, the pull
 * requests are closed; the worker SIGKILLed in the middle of a rollback, a new one finishes it and deletes nothing
 * twice. Every effect is counted where anyone would look: S3 listings, the stand-in's state, git.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { releaseWorkflowId, statusQuery, type ReleaseStatus } from '@relforge/release';
import type { release } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import {
  createExampleProject,
  exampleSecrets,
  killHard,
  releaseEffects,
  releasedOnce,
  secretsInHistory,
  stopGracefully,
  suiteClient,
  testStack,
  until,
  workerProcess,
  type ExampleProject,
} from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from './run-cli.js';

const client = suiteClient();

/** The CLI pointed at the suite's Temporal server, with a state folder of its own so no local stack is read. */
/** All a rollback prints on stderr here: these suites run no NATS, so the CLI says its abort is not in an audit trail. */
const notAudited =
  'relforge: not audited: no NATS server (set RELFORGE_NATS_URL to the one that keeps the audit trail)\n';

function cliEnv(): NodeJS.ProcessEnv {
  const { temporal } = testStack();
  return {
    RELFORGE_TEMPORAL_ADDRESS: temporal.address,
    RELFORGE_NAMESPACE: temporal.namespace,
    RELFORGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'relforge-rollback-cli-')),
  };
}

async function startWaiting(example: ExampleProject, version: string, stage: ReleaseStatus['currentStage']) {
  const handle = await client().workflow.start<typeof release>('release', {
    taskQueue,
    workflowId: releaseWorkflowId(example.project, version),
    args: [{ project: example.project, version }],
  });
  const worker = workerProcess(example, { main: workerMain });
  const waiting = await until(
    `the release to wait for an operator at ${stage}`,
    async () => {
      const status = await handle.query(statusQuery);
      return status.state === 'waiting' ? status : undefined;
    },
    180_000,
    250,
  );
  expect(waiting.currentStage).toBe(stage);
  return { handle, worker };
}

/** The branches of a repository on the stand-in, as `git ls-remote` lists them. */
function branches(example: ExampleProject, repository: string): string[] {
  const auth = `Authorization: Basic ${Buffer.from(`x-access-token:${example.env['RELFORGE_GITHUB_TOKEN'] ?? ''}`).toString('base64')}`;
  const output = execFileSync(
    'git',
    ['-c', `http.extraHeader=${auth}`, 'ls-remote', '--heads', `${example.admin.url}/${repository}.git`],
    { encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' } },
  );
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t')[1]?.replace('refs/heads/', '') ?? '')
    .sort();
}

/** The final status, from the failure details the cancelled run ended with. */
async function finalStatus(handle: WorkflowHandle): Promise<ReleaseStatus> {
  return handle.result().then(
    () => {
      throw new Error('an aborted release completed');
    },
    (error: { cause?: { details?: unknown[] } }) => error.cause?.details?.[0] as ReleaseStatus,
  );
}

/**
 * Each activity of the run with the attempt that finished it and the failure of the attempt before: the history keeps
 * one started event per activity, its last attempt's.
 */
async function attempts(handle: WorkflowHandle): Promise<{ type: string; attempt: number; lastFailure?: string }[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.flatMap((event) => {
    const attributes = event.activityTaskStartedEventAttributes;
    if (!attributes) return [];
    const scheduled = events.find(
      (candidate) => candidate.eventId?.toString() === attributes.scheduledEventId?.toString(),
    );
    const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
    const lastFailure = attributes.lastFailure?.message ?? undefined;
    return [{ type, attempt: attributes.attempt ?? 1, ...(lastFailure ? { lastFailure } : {}) }];
  });
}

const nothingLeft = {
  objects: 0,
  staged: 0,
  unfinishedUploads: 0,
  releases: 0,
  drafts: 0,
  assets: 0,
  uploadsPerAsset: [],
  hashLines: 0,
  containerPulls: 0,
  websitePulls: 0,
  contractViolations: 0,
};

/** Publishing refused for good: the release waits at publish with its draft, its S3 files and its staged files. */
const refusePublish = (example: ExampleProject) =>
  example.admin.addFault({
    match: { method: 'PATCH', path: `^/repos/${example.repos.source}/releases/\\d+$` },
    status: 401,
  });

describe('relforge abort --rollback', () => {
  it('of a release aborted before publish removes its draft, its S3 files and its staged files: nothing is left', async () => {
    const example = await createExampleProject();
    const version = '8.0.0';
    await refusePublish(example);
    const { handle, worker } = await startWaiting(example, version, 'publish');
    try {
      const before = await releaseEffects(example, version);
      // What a rollback must undo is there: the draft with every asset, the files in S3, the staged files.
      expect(before).toMatchObject({ releases: 1, drafts: 1, assets: releasedOnce.assets - 1, hashLines: 0 });
      expect(before.objects).toBe(releasedOnce.objects - 1);
      expect(before.staged).toBe(releasedOnce.staged);

      const aborted = await runCli(
        ['abort', example.project, version, '--rollback', '--reason', 'the token was revoked; releasing 8.0.1'],
        cliEnv(),
      );
      expect(aborted.stderr).toBe(notAudited);
      expect(aborted.code).toBe(0);
      const out = aborted.stdout;
      expect(out).toContain(`rolled back ${example.project} ${version}`);
      expect(out).toContain(`removed, never public (${1 + before.objects + before.staged}):`);
      expect(out).toMatch(new RegExp(`- draft release v${version} of ${example.repos.source} \\(.+\\) with 15 assets`));
      expect(out).toContain(`- s3://${example.bucket}/releases/${example.project}-${version}.tar.gz\n`);
      expect(out).toContain(`- s3://${example.bucket}/relforge-staging/${example.project}/${version}/`);
      // Only the bucket's public-read statement stays: it serves every release under the prefix.
      expect(out).toContain('kept, public (1):');
      expect(out).toContain(`not only this one`);
      expect(out).not.toContain('gone already');

      expect(await releaseEffects(example, version)).toEqual(nothingLeft);
      // Read back later from the ended run, as anyone can: the same lists.
      const status = await runCli(['status', example.project, version], cliEnv());
      expect(status.stdout).toContain(`removed, never public (${1 + before.objects + before.staged}):`);
      expect(status.stdout).toContain('kept, public (1):');
      const final = await finalStatus(handle);
      expect(final.state).toBe('cancelled');
      expect(final.rollback?.state).toBe('done');
      expect(final.rollback?.removed).toHaveLength(1 + before.objects + before.staged);
      expect(final.audit.map((entry) => [entry.action, entry.stage, entry.note])).toEqual([
        ['abort', 'publish', 'the token was revoked; releasing 8.0.1'],
      ]);
      expect(secretsInHistory(historyToJSON(await handle.fetchHistory()), exampleSecrets(example))).toEqual([]);
    } finally {
      await stopGracefully(worker);
    }
  });

  it('of a release aborted after publish keeps and lists what is public, and closes its pull requests', async () => {
    const example = await createExampleProject();
    const version = '8.1.0';
    // The website's pull request refused for good: its branch is pushed, the container's pull request is open.
    await example.admin.addFault({
      match: { method: 'POST', path: `^/repos/${example.repos.website}/pulls$` },
      status: 401,
    });
    const { handle, worker } = await startWaiting(example, version, 'website');
    try {
      expect(branches(example, example.repos.website)).toEqual(['main', `update-website-${version}`]);
      expect(branches(example, example.repos.container)).toEqual(['main', `update-${version}`]);
      const container = (await example.admin.state()).repos[example.repos.container]?.pulls;
      expect(container?.map((pull) => pull.state)).toEqual(['open']);

      const aborted = await runCli(
        ['abort', example.project, version, '--rollback', '--reason', 'the website moves to 8.2'],
        cliEnv(),
      );
      expect(aborted.stderr).toBe(notAudited);
      expect(aborted.code).toBe(0);
      const out = aborted.stdout;
      const [removedPart = '', keptPart = ''] = out.split(/^kept, public/m);
      expect(removedPart).toContain(`- branch update-website-${version} of ${example.repos.website}`);
      expect(removedPart).toMatch(new RegExp(`- pull request #1 of ${example.repos.container} \\(.+\\): closed`));
      expect(removedPart).toContain(`- branch update-${version} of ${example.repos.container}`);
      expect(removedPart).toContain(`relforge-staging/${example.project}/${version}/`);
      expect(removedPart).not.toContain(`releases/${example.project}-${version}.tar.gz`);
      expect(keptPart).toMatch(new RegExp(`- release v${version} of ${example.repos.source} \\(.+\\)\\n +published`));
      expect(keptPart).toContain(`- s3://${example.bucket}/releases/${example.project}-${version}.tar.gz\n`);
      expect(keptPart).toContain(`release v${version} is published and links to it`);
      expect(keptPart).toMatch(new RegExp(`- commit [0-9a-f]{12} on main of ${example.repos.hashes}`));

      // Public: the release, its files and the hash lines stay. Never public: the pull requests and the staged files.
      expect(await releaseEffects(example, version)).toEqual({
        ...releasedOnce,
        objects: releasedOnce.objects - 1,
        assets: releasedOnce.assets - 1,
        staged: 0,
        websitePulls: 0,
      });
      const state = await example.admin.state();
      expect(state.repos[example.repos.container]?.pulls.map((pull) => pull.state)).toEqual(['closed']);
      expect(branches(example, example.repos.website)).toEqual(['main']);
      expect(branches(example, example.repos.container)).toEqual(['main']);
      const final = await finalStatus(handle);
      expect(final.state).toBe('cancelled');
      expect(final.rollback?.kept.length).toBe(1 + (releasedOnce.objects - 1) + 1 + 1);
      expect(final.rollback?.failed).toBeUndefined();
    } finally {
      await stopGracefully(worker);
    }
  });

  it('interrupted by a SIGKILL of its worker is finished by the next worker, deleting each thing once', async () => {
    const example = await createExampleProject();
    const version = '8.2.0';
    await refusePublish(example);
    const { handle, worker: first } = await startWaiting(example, version, 'publish');
    const before = await releaseEffects(example, version);
    const deletesBefore = (await example.admin.state()).requests['DELETE repos/delete-release'] ?? 0;
    // The draft's deletion is held at the stand-in while the worker is killed, and carried out after it died.
    await example.admin.addFault({
      match: { method: 'DELETE', path: `^/repos/${example.repos.source}/releases/\\d+$` },
      holdMs: 3_000,
    });
    // The CLI waits for the rollback's end across the worker's death, as an operator's terminal would.
    const cli = startCli(['abort', example.project, version, '--rollback', '--reason', 'superseded'], cliEnv());
    let second: ReturnType<typeof workerProcess> | undefined;
    try {
      await until('the draft release deletion to be held', async () =>
        (await example.admin.state()).held.now > 0 ? true : undefined,
      );
      expect((await handle.query(statusQuery)).rollback?.state).toBe('running');
      await killHard(first);
      expect(first.signalCode).toBe('SIGKILL');
      second = workerProcess(example, { main: workerMain });
      const ended = await cli.exited;
      expect(ended.stderr).toBe(notAudited);
      expect(ended.code).toBe(0);
      expect(ended.stdout).toContain(`- draft release v${version} of ${example.repos.source} (gone already)`);
      expect(ended.stdout).toContain(`removed, never public (${1 + before.objects + before.staged}):`);
    } finally {
      if (first.exitCode === null && first.signalCode === null) await killHard(first);
      if (second) await stopGracefully(second);
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }

    expect(await releaseEffects(example, version)).toEqual(nothingLeft);
    const state = await example.admin.state();
    expect(state.held.now).toBe(0);
    // The held deletion was the only one: the step run again found the draft gone instead of deleting again.
    expect((state.requests['DELETE repos/delete-release'] ?? 0) - deletesBefore).toBe(1);
    // The step that died was noticed by its heartbeat timeout and run again; every other undo step ran once.
    const steps = (await attempts(handle)).filter((step) => step.type.startsWith('withdraw'));
    expect(steps.map(({ type, attempt }) => [type, attempt])).toEqual([
      ['withdrawForgeRelease', 2],
      ['withdrawUploads', 1],
      ['withdrawStagedFiles', 1],
    ]);
    expect(steps[0]?.lastFailure).toMatch(/heartbeat/i);
    const final = await finalStatus(handle);
    expect(final.state).toBe('cancelled');
    expect(final.rollback?.state).toBe('done');
    expect(secretsInHistory(historyToJSON(await handle.fetchHistory()), exampleSecrets(example))).toEqual([]);
  }, 240_000);
});
