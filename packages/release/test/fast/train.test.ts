/**
 * The train's own decisions, with releases that end at once: a version whose release id exists already is taken and
 * the train moves to the next number; a prerelease that failed keeps its number; the train continues as new after
 * `stepsPerRun` steps, carrying every step. Its events go to a real JetStream (a NATS server of this file's own),
 * through the real event steps. The first case's train, run on the code before trains logged events, is the fixture
 * `recordedHistories.train`.
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
import { createReleaseActivities } from '@relforge/release/activities';
import type { train } from '@relforge/release/workflows';
import { Git } from '@relforge/git';
import { goSignal, type release } from './train-workflows.js';
import { startDevServer, until, type DevServer } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { described, eventsOf, expectWholeLog } from '../event-log.js';
import { quietLogger, suiteEventLog } from '../harness.js';

const plan: TrainPlan = { channels: ['beta', 'rc'], requireRc: false, soakMs: 0, stepsPerRun: 2 };
let server: DevServer;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const events = suiteEventLog();

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
    activities: {
      prepareTrain: async () => plan,
      ...eventSteps(),
    },
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await native?.close();
  await server?.teardown();
});

/** The real event steps, logging to this file's NATS. */
function eventSteps() {
  const { openEventLog, publishEvents } = createReleaseActivities({
    projects: new Map(),
    workRoot: '/nonexistent',
    env: {},
    git: new Git(),
    events: events().log,
  });
  return { openEventLog, publishEvents };
}

const trainLog = (input: TrainInput) =>
  eventsOf(events().log, server.namespace, { project: input.project, version: input.version, kind: 'train' });

/**
 * The log once the train's second run opened it. The plan's stepsPerRun is 2: the first run logs nine events (its
 * opening, then for each step: the step running, the train running, the step's outcome, the train open again), and the
 * next run's first event, the tenth, carries the whole status.
 */
const logOfSecondRun = (input: TrainInput) =>
  until('the next run in the log', async () => {
    const found = await trainLog(input);
    return found.at(-1)?.data.sequence === 10 ? found : undefined;
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
  it('releases a prerelease, then the final, and ends in one run, logging each change as an event', async () => {
    const { input, handle } = await startTrain();
    expect((await handle.executeUpdate(nextUpdate, { args: [{}] })).version).toBe('2.0.0-beta.1');
    await settled(handle);
    expect((await handle.executeUpdate(promoteUpdate, { args: [{ channel: 'final' }] })).version).toBe('2.0.0');
    const finished = await handle.result();
    expect(finished.runs).toBe(1);
    expect(finished.steps.map((step) => [step.version, step.outcome])).toEqual([
      ['2.0.0-beta.1', 'released'],
      ['2.0.0', 'released'],
    ]);
    const logged = await trainLog(input);
    expectWholeLog(logged, finished);
    expect(logged.map(described)).toEqual([
      'train open',
      'train-step 2.0.0-beta.1 running',
      'train running',
      'train-step 2.0.0-beta.1 released',
      'train open',
      'train-step 2.0.0 running',
      'train running',
      'train-step 2.0.0 released',
      'train finished',
    ]);
    expect(logged[0]).toMatchObject({
      source: trainWorkflowId(input.project, input.version),
      id: `${trainWorkflowId(input.project, input.version)}#1`,
      type: 'dev.relforge.train.open.v1',
      runid: handle.firstExecutionRunId,
    });
    // Only what changed: the step's event adds the step (and what the final now waits for), the train's its state.
    const paths = (index: number) => logged[index]?.data.patch.map((op) => `${op.op} ${op.path}`).sort();
    expect(paths(1)).toEqual(['add /finalWaitsFor/0', 'add /steps/0']);
    expect(paths(2)).toEqual(['replace /state']);
    expect(paths(3)).toEqual(['add /steps/0/finishedAt', 'remove /finalWaitsFor/0', 'replace /steps/0/outcome']);
    expect(logged[3]?.data.patch).toContainEqual({ op: 'replace', path: '/steps/0/outcome', value: 'released' });
    expect(paths(6)).toEqual(['replace /channel', 'replace /state']);
  });

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
    const logged = await logOfSecondRun(input);
    expect(logged.map(described).slice(1, 5)).toEqual([
      'train-step 2.0.0-beta.1 running',
      'train running',
      'train-step 2.0.0-beta.1 taken',
      'train open',
    ]);
    const runs = expectWholeLog(logged, await handle.query(trainStatusQuery));
    expect(runs.map((run) => run.length)).toEqual([9, 1]);
    // The second run's first event is dated by its own start (workflowInfo().startTime is the run's): times never go back.
    const times = logged.map((event) => Date.parse(event.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
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
    // The step's subject runs again after it failed, as its machine allows; the log folds to the train's status.
    const logged = await logOfSecondRun(input);
    expect(logged.map(described).filter((line) => line.startsWith('train-step'))).toEqual([
      'train-step 2.0.0-rc.1 running',
      'train-step 2.0.0-rc.1 failed',
      'train-step 2.0.0-rc.1 running',
      'train-step 2.0.0-rc.1 released',
    ]);
    const runs = expectWholeLog(logged, await handle.query(trainStatusQuery));
    expect(runs.map((run) => run.length)).toEqual([9, 1]);
  });

  it('continues as new after stepsPerRun steps with every step carried, and ends after its final', async () => {
    const { input, handle } = await startTrain();
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
    // Each run logs on from the last event of the run before, starting with the whole status.
    const [first, second, ...more] = expectWholeLog(await trainLog(input), finished);
    expect(more).toEqual([]);
    expect(first?.at(-1)?.type).toBe('dev.relforge.train.open.v1');
    expect(second?.[0]).toMatchObject({ type: 'dev.relforge.train.open.v1', data: { appliesTo: first?.length } });
    expect(second?.[0]?.data.patch[0]).toMatchObject({ value: { runs: 2, steps: carried.steps } });
    expect(second?.at(-1)?.type).toBe('dev.relforge.train.finished.v1');
  });
});
