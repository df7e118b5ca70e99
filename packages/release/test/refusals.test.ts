import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { serverBinary } from '@relforge/local-servers';
import { RelforgeState, taskQueue } from '@relforge/temporal-names';
import {
  createExampleProject,
  exampleSecrets,
  releaseEffects,
  releasedOnce,
  secretsInHistory,
  stockStartRelease,
  testStack,
} from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  abortSignal,
  ReleaseFailureType,
  releaseWorkflowId,
  resumeUpdate,
  type ReleaseStatus,
} from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import type { release as releaseWorkflow } from '@relforge/release/workflows';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import {
  connect,
  recordedHistories,
  releaseWorker,
  secretsIn,
  scheduled,
  servicesFor,
  startRelease,
  suiteEventLog,
  untilState,
  workflowBundle,
  type Connections,
} from './harness.js';
import { described, eventsOf, expectWholeLog } from './event-log.js';

const run = promisify(execFile);
import { checkout } from './inspect.js';

const events = suiteEventLog();
let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

describe('the checksum repository', () => {
  it('refuses a second digest for an existing file name, naming both, commits nothing, and waits for an operator', async () => {
    const stale = 'f'.repeat(64);
    const example = await createExampleProject({
      seedHashes: (readme, project) =>
        `${readme}hash ${project}-3.0.0.tar.gz sha256 ${stale} https://old.example.invalid/${project}-3.0.0.tar.gz\n`,
    });
    const handle = await startRelease(connections, example, '3.0.0');
    const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const failure = await worker.runUntil(async () => {
      const waiting = await untilState(handle, 'waiting');
      const stage = waiting.stages.find((item) => item.name === 'checksum-repo');
      expect(stage?.state).toBe('waiting');
      const source = waiting.artifacts.find((artifact) => artifact.file === `${example.project}-3.0.0.tar.gz`);
      expect(stage?.error).toContain(`${example.project}-3.0.0.tar.gz`);
      expect(stage?.error).toContain(stale);
      expect(stage?.error).toContain(source?.sha256);
      expect(waiting.stages.filter((item) => item.state === 'pending').map((item) => item.name)).toEqual([
        'container-repo',
        'website',
      ]);
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(RelforgeState)).toBe('waiting-for-operator');

      await handle.signal(abortSignal, { reason: 'the old digest is the published one; releasing 3.0.1 instead' });
      return handle.result().then(
        () => undefined,
        (error: unknown) => error,
      );
    });
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(ReleaseFailureType.ReleaseFailed);
    expect(cause.message).toContain('aborted by an operator: the old digest is the published one');
    const final = cause.details?.[0] as ReleaseStatus;
    expect(final.audit.map((entry) => [entry.action, entry.stage])).toEqual([['abort', 'checksum-repo']]);

    // Tried once: a conflict is not something a retry can fix.
    expect(await scheduled(handle, 'updateChecksumRepo')).toBe(1);
    const history = await handle.fetchHistory();
    const failed = history.events?.find((event) => event.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.nonRetryable).toBe(true);
    expect(failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe(
      'HashesConflictError',
    );

    const hashes = await checkout(example.repos.hashes, 'main');
    expect(hashes.commits).toBe(1);
    hashes.done();
    expect(await secretsIn(connections, example, handle.workflowId)).toEqual([]);
  });
});

describe('a caller holding another config file than the worker', () => {
  it('is refused before any step, naming both digests and the fix', async () => {
    const example = await createExampleProject();
    const callers = 'c'.repeat(64);
    const handle = await connections.client.workflow.start<typeof releaseWorkflow>('release', {
      taskQueue,
      workflowId: releaseWorkflowId(example.project, '7.0.0'),
      args: [{ project: example.project, version: '7.0.0', configSha256: callers }],
    });
    const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const failure = await worker.runUntil(
      handle.result().then(
        () => undefined,
        (error: unknown) => error,
      ),
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    const workers = createHash('sha256').update(readFileSync(example.configPath)).digest('hex');
    expect(cause.message).toContain(`configSha256: the config you released with (sha256 ${callers})`);
    expect(cause.message).toContain(`is not the worker's ${example.configPath} (sha256 ${workers})`);
    expect(cause.message).toContain(`deploy your file to the worker as ${example.configPath} and restart the worker`);
    expect(cause.message).toContain("or release with the worker's config");
    const final = cause.details?.[0] as ReleaseStatus;
    expect(final.state).toBe('failed');
    expect(final.stages).toEqual([]);
    expect(await scheduled(handle, 'buildTarget')).toBe(0);
    expect(await scheduled(handle, 'buildSourceTarball')).toBe(0);
    expect(await releaseEffects(example, '7.0.0')).toEqual({
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
    });
  });
});

describe('refused credentials', () => {
  it('park the release; after the fix, a resume from the stock CLI continues from the failed stage only', async () => {
    const example = await createExampleProject();
    const { temporal } = testStack();
    // The forge refuses the token for every release call until the "operator" fixes it.
    await example.admin.addFault({
      match: { method: 'GET', path: `/repos/${example.repos.source}/releases` },
      count: 1000,
      status: 401,
    });
    const handle = await startRelease(connections, example, '6.0.0');
    const { log } = events();
    const worker = await releaseWorker(connections, createReleaseActivities({ ...servicesFor(example), events: log }));
    const status = await worker.runUntil(async () => {
      const waiting = await untilState(handle, 'waiting');
      expect(waiting.currentStage).toBe('publish');
      expect(waiting.error).toContain('the forge refused the credentials');
      expect(waiting.error).toContain('environment variable RELFORGE_GITHUB_TOKEN');
      expect(waiting.error).not.toContain(example.env['RELFORGE_GITHUB_TOKEN']);

      // A resume the workflow cannot take is refused by its validator, naming the field; nothing is recorded.
      const refused = await handle
        .executeUpdate(resumeUpdate, { args: [{ bogus: true } as never] })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((refused as WorkflowUpdateFailedError).cause as Error).message).toBe(
        'resume.bogus: unknown field; expected reloadConfig (boolean) or note (string)',
      );

      await example.admin.clearFaults();
      await run(serverBinary('temporal'), [
        'workflow',
        'update',
        'execute',
        '--address',
        temporal.address,
        '--namespace',
        temporal.namespace,
        '--workflow-id',
        handle.workflowId,
        '--name',
        'resume',
        '--input',
        JSON.stringify({ note: 'rotated the token' }),
      ]);
      return (await handle.result()) as ReleaseStatus;
    });
    expect(status.state).toBe('succeeded');
    expect(status.audit.map((entry) => [entry.action, entry.stage, entry.note])).toEqual([
      ['resume', 'publish', 'rotated the token'],
    ]);
    expect(status.stages.find((stage) => stage.name === 'publish')?.attempts).toBe(2);
    // Finished stages were not run again: one build per target, one checksum run.
    expect(await scheduled(handle, 'buildTarget')).toBe(4);
    expect(await scheduled(handle, 'checksumArtifacts')).toBe(1);
    expect(await releaseEffects(example, '6.0.0')).toEqual(releasedOnce);

    // The parked-and-resumed history replays, is kept as a fixture (`pnpm --filter @relforge/release record-history`), and holds no secret.
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
    if (process.env['RELFORGE_RECORD_HISTORY'])
      writeFileSync(recordedHistories.current.parked, `${historyToJSON(history)}\n`);
    expect(secretsInHistory(historyToJSON(history), exampleSecrets(example))).toEqual([]);

    // Its events: parked at publish and resumed there, in one unbroken log that folds into the final status.
    const logged = await eventsOf(log, temporal.namespace, { project: example.project, version: '6.0.0' });
    expectWholeLog(logged, status);
    expect(logged.map(described).filter((line) => line.startsWith('stage publish'))).toEqual(
      ['running', 'waiting', 'running', 'succeeded'].map((state) => `stage publish ${state}`),
    );
    const waiting = logged.find((event) => described(event) === 'release waiting');
    expect(JSON.stringify(waiting?.data.patch)).toContain('the forge refused the credentials');
    expect(secretsInHistory(JSON.stringify(logged), exampleSecrets(example))).toEqual([]);
  });
});

describe('a release started by the stock temporal CLI with plain JSON', () => {
  it('runs like any other', async () => {
    const example = await createExampleProject();
    const { temporal } = testStack();
    const workflowId = releaseWorkflowId(example.project, '1.2.3');
    const started = await stockStartRelease(temporal, workflowId, { project: example.project, version: '1.2.3' });
    expect(started.ok, started.output).toBe(true);
    const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const status = (await worker.runUntil(connections.client.workflow.getHandle(workflowId).result())) as ReleaseStatus;
    expect(status.state).toBe('succeeded');
    expect(status.stages.every((stage) => stage.state === 'succeeded')).toBe(true);
    expect(status.artifacts).toHaveLength(16);
  });
});
