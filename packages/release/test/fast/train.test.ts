/**
 * The train's own decisions, with releases that end at once: a version whose release id exists already is taken and
 * the train moves to the next number; a prerelease that failed keeps its number; the train continues as new after
 * `stepsPerRun` steps, carrying every step.
 */
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import {
  abortSignal,
  nextUpdate,
  promoteUpdate,
  releaseWorkflowId,
  trainStatusQuery,
  trainWorkflowId,
  type TrainInput,
  type TrainPlan,
  type TrainStatus,
} from '@relforge/release';
import type { train } from '@relforge/release/workflows';
import { goSignal, type release } from './train-workflows.js';
import { startDevServer, until, type DevServer } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietLogger } from '../harness.js';

const plan: TrainPlan = { channels: ['beta', 'rc'], requireRc: false, soakMs: 0, stepsPerRun: 2 };
let server: DevServer;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  server = await startDevServer();
  native = await NativeConnection.connect({ address: server.address });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./train-workflows.ts', import.meta.url)),
    logger: quietLogger,
  });
  worker = await Worker.create({
    connection: native,
    namespace: server.namespace,
    taskQueue: 'train-fast',
    workflowBundle,
    activities: { prepareTrain: async () => plan },
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await native?.close();
  await server?.teardown();
});

async function startTrain(prefix = 'fast') {
  const input: TrainInput = { project: `${prefix}-${randomBytes(3).toString('hex')}`, version: '2.0.0' };
  const handle = await server.env.client.workflow.start<typeof train>('train', {
    taskQueue: 'train-fast',
    workflowId: trainWorkflowId(input.project, input.version),
    args: [input],
  });
  return { input, handle };
}

async function settled(handle: { query: (q: typeof trainStatusQuery) => Promise<TrainStatus> }): Promise<TrainStatus> {
  return until('the step to end', async () => {
    const status = await handle.query(trainStatusQuery);
    return status.steps.every((step) => step.outcome !== 'running') ? status : undefined;
  });
}

describe('the train workflow', () => {
  it('records a version released outside the train as taken and moves to the next number', async () => {
    const { input, handle } = await startTrain();
    const outside = await server.env.client.workflow.start('release', {
      taskQueue: 'train-fast',
      workflowId: releaseWorkflowId(input.project, '2.0.0-beta.1'),
      args: [{ project: input.project, version: '2.0.0-beta.1' }],
    });
    await outside.result();
    const first = await handle.executeUpdate(nextUpdate, { args: [{}] });
    expect(first.version).toBe('2.0.0-beta.1');
    expect((await settled(handle)).steps.map((step) => [step.version, step.outcome])).toEqual([
      ['2.0.0-beta.1', 'taken'],
    ]);
    expect((await settled(handle)).steps[0]?.error).toContain(`release/${input.project}/2.0.0-beta.1 exists already`);
    await handle.executeUpdate(nextUpdate, { args: [{}] });
    const status = await settled(handle);
    expect(status.steps.map((step) => [step.version, step.outcome])).toEqual([
      ['2.0.0-beta.1', 'taken'],
      ['2.0.0-beta.2', 'released'],
    ]);
  });

  it('keeps the number of a prerelease that failed, releasing it again, each release started by who asked', async () => {
    const { input, handle } = await startTrain('held');
    const alice = { login: 'alice', via: 'gateway' } as const;
    const malformed = await handle
      .executeUpdate(promoteUpdate, { args: [{ channel: 'rc', startedBy: { login: '', via: 'gateway' } }] })
      .catch((error: unknown) => error);
    expect((malformed as WorkflowUpdateFailedError).cause?.message).toBe(
      'startedBy: expected {"login": "<GitHub login>", "via": "cli", "gateway" or "github"}',
    );
    const first = await handle.executeUpdate(promoteUpdate, { args: [{ channel: 'rc', startedBy: alice }] });
    expect(first).toMatchObject({ version: '2.0.0-rc.1', outcome: 'running', startedBy: alice });
    const rc1 = server.env.client.workflow.getHandle<typeof release>(releaseWorkflowId(input.project, '2.0.0-rc.1'));
    // An abort (with rollback or not) fails the release: nothing of it was public, so its number is free again.
    await rc1.signal(abortSignal, { reason: 'a bad build', rollback: true });
    expect((await settled(handle)).steps.map((step) => [step.version, step.outcome])).toEqual([
      ['2.0.0-rc.1', 'failed'],
    ]);
    const again = await handle.executeUpdate(nextUpdate, { args: [{ startedBy: { login: 'bob', via: 'cli' } }] });
    expect(again.version).toBe('2.0.0-rc.1');
    await rc1.signal(goSignal);
    const status = await settled(handle);
    expect(status.steps.map((step) => [step.version, step.outcome, step.startedBy?.login])).toEqual([
      ['2.0.0-rc.1', 'failed', 'alice'],
      ['2.0.0-rc.1', 'released', 'bob'],
    ]);
    // The second run of the same release id, started with who asked as its startedBy.
    expect(await rc1.result()).toEqual({ version: '2.0.0-rc.1', startedBy: { login: 'bob', via: 'cli' } });
  });

  it('continues as new after stepsPerRun steps with every step carried, and ends after its final', async () => {
    const { handle } = await startTrain();
    await handle.executeUpdate(nextUpdate, { args: [{}] });
    await settled(handle);
    await handle.executeUpdate(promoteUpdate, { args: [{ channel: 'rc' }] });
    const carried = await until('the train to continue as new', async () => {
      const status = await handle.query(trainStatusQuery).catch(() => undefined);
      return status?.runs === 2 ? status : undefined;
    });
    expect(carried.steps.map((step) => [step.version, step.outcome])).toEqual([
      ['2.0.0-beta.1', 'released'],
      ['2.0.0-rc.1', 'released'],
    ]);
    const backward = await handle.executeUpdate(promoteUpdate, { args: [{ channel: 'beta' }] }).catch((error) => error);
    expect(backward).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((backward as WorkflowUpdateFailedError).cause?.message).toBe(
      'channel: the train is on rc; it only moves forward (final), never back to beta',
    );
    await handle.executeUpdate(promoteUpdate, { args: [{ channel: 'final' }] });
    const finished = await handle.result();
    expect(finished.state).toBe('finished');
    expect(finished.runs).toBe(2);
    expect(finished.steps.map((step) => step.version)).toEqual(['2.0.0-beta.1', '2.0.0-rc.1', '2.0.0']);
  });
});
