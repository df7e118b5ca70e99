/** Runs releases of the example project on the shared test servers, with a real worker in this process. */
import { fileURLToPath } from 'node:url';
import {
  Client,
  Connection,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { cachedWorkflowBundle } from '@relforge/workflow-bundle';
import { buildTargets, loadProjectConfig } from '@relforge/config';
import { Git } from '@relforge/git';
import { createReleaseActivities, type ReleaseActivities, type ReleaseServices } from '@relforge/release/activities';
import { releaseWorkflowId, statusQuery, type BuildTarget, type ReleaseStatus } from '@relforge/release';
import type { release as releaseWorkflow } from '@relforge/release/workflows';
import { buildTaskQueue, taskQueue } from '@relforge/temporal-names';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import {
  exampleDir,
  exampleSecrets,
  secretsInHistory,
  startTestNats,
  testStack,
  type ExampleProject,
  type TestNats,
} from '@relforge/testkit';
import { JetStreamEventLog } from '@relforge/release-events/jetstream';
import { afterAll, beforeAll } from 'vitest';

export const workflowsPath = fileURLToPath(import.meta.resolve('@relforge/release/workflows'));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
/**
 * Histories recorded from the end-to-end test and the parked-and-resumed test, replayed on every run to catch
 * incompatible changes. The first pair predates builds per platform (every target on the main queue), so it keeps the
 * code behind `patched('build-per-platform')` honest; the per-platform pair predates signed releases and release
 * events, so it keeps the code behind `patched('publish-attestation')` and `patched('release-events')` honest, as the
 * signed pair (no events) and the events pair (not signed) keep each other's; the current pair is signed and logs its
 * events to JetStream. `pnpm --filter @relforge/release record-history` rewrites only the
 * current pair.
 */
export const recordedHistories = {
  beforePlatforms: {
    release: fixture('release-history.json'),
    parked: fixture('parked-resumed-history.json'),
  },
  perPlatform: {
    release: fixture('release-per-platform-history.json'),
    parked: fixture('parked-resumed-per-platform-history.json'),
  },
  current: {
    release: fixture('release-signed-events-history.json'),
    parked: fixture('parked-resumed-signed-events-history.json'),
  },
  signed: {
    release: fixture('release-signed-history.json'),
    parked: fixture('parked-resumed-signed-history.json'),
  },
  events: {
    release: fixture('release-events-history.json'),
    parked: fixture('parked-resumed-events-history.json'),
  },
  /** A release started by webhook triggers (signal-with-start), recorded by `test/fast/triggers.test.ts`. */
  triggered: fixture('triggered-release-history.json'),
  /** A release aborted with rollback while it waited at its last stage, recorded by `test/fast/rollback.test.ts`. */
  rollback: fixture('aborted-rollback-history.json'),
  /**
   * A release held at its approval stage, refused six approvals and passed by two, recorded by
   * `test/fast/approval.test.ts` (`RELFORGE_RECORD_HISTORY=1`); it keeps `patched('approval-gate')` honest.
   */
  approval: fixture('approval-gate-history.json'),
  /**
   * A train that released 2.0.0-beta.1 and then the final in one run: the first case of `test/fast/train.test.ts`,
   * recorded on the code before trains logged events (so never recorded again); it keeps `patched('train-events')`
   * honest.
   */
  train: fixture('train-history.json'),
};

/** A NATS server of the calling suite's own, and an event log on it as a worker holds one; stopped after the suite. */
export function suiteEventLog(): () => { nats: TestNats; log: JetStreamEventLog } {
  let nats: TestNats | undefined;
  let log: JetStreamEventLog | undefined;
  beforeAll(async () => {
    nats = await startTestNats();
    log = JetStreamEventLog.open(nats.url, { name: 'relforge-test-worker' });
  });
  afterAll(async () => {
    await log?.close();
    await nats?.teardown();
  });
  return () => {
    if (!nats || !log) throw new Error('the event log starts in beforeAll: use it inside tests');
    return { nats, log };
  };
}

export const quietLogger = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

let bundle: Promise<WorkflowBundleOption> | undefined;
/** Webpack once per build of the workflow code, kept on disk for the test files and workers after this one. */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  bundle ??= cachedWorkflowBundle(fileURLToPath(new URL('..', import.meta.url)), workflowsPath, quietLogger);
  return bundle;
}

export function servicesFor(example: ExampleProject): ReleaseServices {
  return {
    projects: new Map([[example.project, example.configPath]]),
    workRoot: example.workRoot,
    env: example.env,
    git: new Git(),
  };
}

export interface Connections {
  client: Client;
  native: NativeConnection;
  close(): Promise<void>;
}

export async function connect(): Promise<Connections> {
  const { temporal } = testStack();
  const connection = await Connection.connect({ address: temporal.address });
  const native = await NativeConnection.connect({ address: temporal.address });
  return {
    client: new Client({ connection, namespace: temporal.namespace }),
    native,
    close: async () => {
      await connection.close();
      await native.close();
    },
  };
}

/** The example's build matrix: the platforms a worker must build for its releases to finish. */
export const examplePlatforms: Promise<BuildTarget[]> = loadProjectConfig(join(exampleDir(), 'relforge.yaml'), {}).then(
  buildTargets,
);

/** Several SDK workers, one per task queue, run and stopped together. */
export interface ReleaseWorkers {
  workers: Worker[];
  runUntil<R>(until: Promise<R> | (() => Promise<R>)): Promise<R>;
}

export interface ReleaseWorkerOptions {
  /** The platforms it builds, each on its own task queue; the example's matrix unless told. */
  builds?: BuildTarget[];
  connection?: NativeConnection;
  namespace?: string;
  workflowBundle?: WorkflowBundleOption;
}

/** A worker of the main queue (workflows and every step) and a builder of each platform, as one process runs them. */
export async function releaseWorker(
  connections: Pick<Connections, 'native'>,
  activities: ReleaseActivities,
  options: ReleaseWorkerOptions = {},
): Promise<ReleaseWorkers> {
  const connection = options.connection ?? connections.native;
  const namespace = options.namespace ?? testStack().temporal.namespace;
  const main = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: options.workflowBundle ?? (await workflowBundle()),
    activities,
  });
  const builders = await Promise.all(
    (options.builds ?? (await examplePlatforms)).map((platform) =>
      Worker.create({
        connection,
        namespace,
        taskQueue: buildTaskQueue(platform),
        activities: { buildTarget: activities.buildTarget },
        // A platform's queue carries one build a release: one poll each keeps 200 platforms under the server's limit.
        maxConcurrentActivityTaskPolls: 1,
      }),
    ),
  );
  const workers = [main, ...builders];
  return {
    workers,
    async runUntil(until) {
      const ending = typeof until === 'function' ? until() : until;
      // Every worker stops before this returns, even when the awaited promise rejects.
      const [first, ...rest] = await Promise.allSettled(workers.map((worker) => worker.runUntil(ending)));
      const failed = [first, ...rest].find((outcome) => outcome?.status === 'rejected');
      if (failed?.status === 'rejected') throw failed.reason;
      if (first?.status !== 'fulfilled') throw new Error('no worker ran');
      return first.value;
    },
  };
}

export interface Outcome {
  handle: WorkflowHandleWithFirstExecutionRunId;
  status?: ReleaseStatus;
  failure?: WorkflowFailedError;
  /** The `status` query's answer once the release ended, asked while the worker still ran. */
  queried: ReleaseStatus;
}

/** Starts the release and runs a worker until it ends, succeeded or failed. */
export async function release(
  connections: Connections,
  example: ExampleProject,
  version: string,
  activities: ReleaseActivities = createReleaseActivities(servicesFor(example)),
): Promise<Outcome> {
  const worker = await releaseWorker(connections, activities);
  // As the CLI starts it: with the digest of the config file it holds, here the worker's own.
  const configSha256 = createHash('sha256').update(readFileSync(example.configPath)).digest('hex');
  const handle = await connections.client.workflow.start<typeof releaseWorkflow>('release', {
    taskQueue,
    workflowId: releaseWorkflowId(example.project, version),
    args: [{ project: example.project, version, configSha256 }],
  });
  return worker.runUntil(async () => {
    const ended = await handle.result().then(
      (status) => ({ status }),
      (error: unknown) => {
        if (error instanceof WorkflowFailedError) return { failure: error };
        throw error;
      },
    );
    return { handle, ...ended, queried: await handle.query(statusQuery) };
  });
}

/** Waits until the release reports a state, asking the `status` query (a worker must be running). */
export async function untilState(
  handle: WorkflowHandle,
  state: ReleaseStatus['state'],
  timeoutMs = 120_000,
): Promise<ReleaseStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status?.state === state) return status;
    if (Date.now() > deadline)
      throw new Error(`release never reached "${state}"; last status: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Starts a release, for tests that drive it step by step with a worker they run themselves. */
export async function startRelease(
  connections: Connections,
  example: ExampleProject,
  version: string,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return connections.client.workflow.start<typeof releaseWorkflow>('release', {
    taskQueue,
    workflowId: releaseWorkflowId(example.project, version),
    args: [{ project: example.project, version }],
  });
}

/** How many times the history scheduled an activity of this type. */
export async function scheduled(handle: WorkflowHandle, activityType: string): Promise<number> {
  const history = await handle.fetchHistory();
  return (
    history.events?.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .length ?? 0
  );
}

/** The example's secrets found in one run's history, every payload decoded: `[]` is the only good answer. */
export async function secretsIn(
  connections: Connections,
  example: ExampleProject,
  workflowId: string,
  runId?: string,
): Promise<string[]> {
  const history = await connections.client.workflow.getHandle(workflowId, runId).fetchHistory();
  return secretsInHistory(historyToJSON(history), exampleSecrets(example));
}
