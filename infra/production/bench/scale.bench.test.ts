/**
 * `pnpm bench`: Relforge at scale on the production server (Temporal on PostgreSQL, every connection over mutual
 * TLS), with worker processes as an operator runs them (RELFORGE_BUILDS=all: each builds every platform and serves
 * releases). Three figures:
 *
 * 1. Many concurrent releases of several projects with no-op builds, on one worker process and then on two: latency,
 *    throughput, history per release, and the speed-up of the second worker.
 * 2. The history of a 200-target release, and of a 50-target one to show it grows linearly with the matrix.
 * 3. The forge's write pacing: releases publishing under one shared token, then each under a token of its own.
 *
 * Why the concurrent releases stop after checksum: publishing paces writes to the forge per credential (one a second,
 * GitHub's guidance), so a release's publish stage takes about a second per file it attaches. Figure 3 measures that
 * stage; with it, 50 releases of one project under one token would queue for tens of minutes (its table prints the
 * estimate), which measures the pacing rather than Relforge. So figure 1 runs `stages: [build, checksum]`.
 *
 * Each release of figure 1 has 9 matrix targets and the source tarball: 10 tarballs and their 10 `.sha256`
 * sidecars are the 20 artifact files of the issue; the 2 SUMS files come on top, once per release. 10 builds per
 * release keeps 2,000 builds on a 2-core machine within minutes; more targets would only add the same work per
 * release (figure 2 shows what the history does with many).
 *
 * Sizes: RELFORGE_BENCH_RELEASES (200), RELFORGE_BENCH_PROJECTS (4), RELFORGE_BENCH_TARGETS (200; the big matrix,
 * compared with a quarter of it) and RELFORGE_BENCH_PACED_RELEASES (4). A bench asserts only correctness — every
 * release completed, every build and upload done once, the history within Temporal's limits — never a speed.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { temporal } from '@temporalio/proto';
import { releaseWorkflowId, type ReleaseStatus } from '@relforge/release';
import { buildTaskQueue, taskQueue } from '@relforge/temporal-names';
import { tlsConfig } from '@relforge/temporal-connection';
import {
  createExampleProject,
  releaseEffects,
  releasedOnce,
  stopGracefully,
  until,
  workerProcess,
  type ExampleOptions,
  type ExampleProject,
} from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProductionTemporal, type ProductionTemporal } from '@relforge/production-temporal';

function size(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${text} is not a whole number of at least 1`);
  return value;
}
const releases = size('RELFORGE_BENCH_RELEASES', 200);
const projectCount = Math.min(size('RELFORGE_BENCH_PROJECTS', 4), releases);
const bigMatrix = Math.max(size('RELFORGE_BENCH_TARGETS', 200), 8);
const pacedReleases = size('RELFORGE_BENCH_PACED_RELEASES', 4);
/** 9 targets + the source tarball: 10 tarballs and 10 sidecars per release. */
const targetsPerRelease = 9;

const Limits = { history: 2 * 1024 * 1024, payload: 256 * 1024 };

let server: ProductionTemporal;
let connection: Connection;
let client: Client;
/** Where the no-op builds note each run, one file per release: how the bench counts builds. */
let buildLog: string;
const machine: string[] = [];

beforeAll(async () => {
  machine.push(`load at start ${loadAverage()}`);
  server = await startProductionTemporal({ label: 'relforge_bench' });
  connection = await Connection.connect({ address: server.address, tls: tlsConfig(server.settings('cli')) });
  client = new Client({ connection, namespace: server.namespace });
  buildLog = mkdtempSync(join(tmpdir(), 'relforge-bench-builds-'));
}, 180_000);

afterAll(async () => {
  await connection?.close();
  await server?.stop();
  if (buildLog) rmSync(buildLog, { recursive: true, force: true });
});

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** A build that takes no time: notes that it ran, then writes a tarball of one small, reproducible file. */
function noOpBuild(): string {
  return [
    `printf '%s\\n' "$RELFORGE_DISTRO/$RELFORGE_ARCH" >> "${buildLog}/$RELFORGE_PROJECT-$RELFORGE_VERSION"`,
    `printf '%s\\n' "$RELFORGE_DISTRO/$RELFORGE_ARCH" > "$RELFORGE_OUT/payload"`,
    'tar --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -C "$RELFORGE_OUT" -cf - payload | gzip -n > "$RELFORGE_ARTIFACT"',
  ].join(' && ');
}

/** The platforms each build ran for, in one release: every target once, nothing twice. */
function buildsRun(project: string, version: string): string[] {
  try {
    return readFileSync(join(buildLog, `${project}-${version}`), 'utf8')
      .trim()
      .split('\n')
      .sort();
  } catch {
    return [];
  }
}

function projects(count: number, options: ExampleOptions & { tokens?: 'shared' | 'own' }): Promise<ExampleProject[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      createExampleProject({
        buildCommand: noOpBuild(),
        ...options,
        ...(options.tokens === 'own' ? { forgeToken: index + 1 } : {}),
      }),
    ),
  );
}

/** Worker processes releasing every project, in one work folder (checksum reads what any of them built). */
async function startWorkers(count: number, served: ExampleProject[], platforms: string[]): Promise<ChildProcess[]> {
  const [first, ...rest] = served as [ExampleProject, ...ExampleProject[]];
  const workers = Array.from({ length: count }, () =>
    workerProcess(first, { main: workerMain, temporal: server, env: server.env('worker'), alsoReleases: rest }),
  );
  const exited = () => workers.find((worker) => worker.exitCode !== null || worker.signalCode !== null);
  try {
    // Released only once every process polls the main queue and the builds' queues, so startup is not measured.
    const queues = [taskQueue, ...platforms];
    const state = await until(
      `${count} worker process(es) polling ${queues.length} task queues`,
      async () => {
        for (const [index, queue] of queues.entries()) {
          const { pollers } = await client.workflowService.describeTaskQueue({
            namespace: server.namespace,
            taskQueue: { name: queue },
            taskQueueType:
              index === 0
                ? temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
                : temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
          });
          if (exited()) return 'exited';
          for (const worker of workers)
            if (!pollers?.some((poller) => poller.identity?.startsWith(`${worker.pid}@`))) return undefined;
        }
        return 'polling';
      },
      300_000,
      1_000,
    );
    if (state === 'exited')
      throw new Error(`worker ${exited()?.pid} exited (${exited()?.exitCode ?? exited()?.signalCode})`);
  } catch (error) {
    await Promise.all(workers.map(stopGracefully));
    throw error;
  }
  return workers;
}

const platformQueues = (targets: number) => matrixPlatforms(targets).map((target) => buildTaskQueue(target));

/** The platforms `createExampleProject({ targets })` lists, in its order. */
function matrixPlatforms(targets: number): { distro: string; arch: string }[] {
  const base = ['bookworm/x86_64', 'bookworm/arm64', 'trixie/x86_64', 'trixie/arm64'];
  const extra = Array.from(
    { length: targets - 4 },
    (_, index) => `extra${Math.floor(index / 10) + 1}/arch${index % 10}`,
  );
  return [...base, ...extra].map((name) => {
    const [distro, arch] = name.split('/') as [string, string];
    return { distro, arch };
  });
}

interface ReleaseFigures {
  project: string;
  version: string;
  status: ReleaseStatus;
  /** Start → completed, from the server's event times. */
  latencyMs: number;
  events: number;
  bytes: number;
  largestPayload: number;
  /** The event that carries it, e.g. `ActivityTaskCompleted checksumArtifacts`. */
  largestPayloadIn: string;
  /** Each activity attempt after the first, as `<activity>: <why the one before ended>`. */
  retries: string[];
  /** Builds that sat in their platform's queue past the first wait for a builder, and were queued again. */
  waitedForBuilder: number;
}

function payloadsIn(value: unknown, seen = new Set<object>()): temporal.api.common.v1.IPayload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || seen.has(value)) return [];
  seen.add(value);
  if ('data' in value && 'metadata' in value) return [value as temporal.api.common.v1.IPayload];
  return Object.values(value).flatMap((child) => payloadsIn(child, seen));
}

async function figures(project: string, version: string): Promise<ReleaseFigures> {
  const handle = client.workflow.getHandle(releaseWorkflowId(project, version));
  const status = (await handle.result()) as ReleaseStatus;
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const times = events.map((event) => tsToMs(event.eventTime));
  const activityOf = (scheduledEventId: unknown) =>
    events.find((other) => String(other.eventId) === String(scheduledEventId))?.activityTaskScheduledEventAttributes
      ?.activityType?.name;
  let largestPayload = 0;
  let largestPayloadIn = 'none';
  for (const event of events) {
    for (const payload of payloadsIn(event)) {
      const bytes = temporal.api.common.v1.Payload.encode(payload).finish().length;
      if (bytes <= largestPayload) continue;
      largestPayload = bytes;
      const raw: unknown = event.eventType;
      const type = (typeof raw === 'number' ? temporal.api.enums.v1.EventType[raw] : String(raw)) ?? 'event';
      const activity =
        event.activityTaskScheduledEventAttributes?.activityType?.name ??
        activityOf(event.activityTaskCompletedEventAttributes?.scheduledEventId);
      largestPayloadIn = [type.replace(/^EVENT_TYPE_/, '').toLowerCase(), activity].filter(Boolean).join(' ');
    }
  }
  return {
    project,
    version,
    status,
    latencyMs: Math.max(...times) - Math.min(...times),
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
    largestPayload,
    largestPayloadIn,
    retries: events.flatMap((event) => {
      const started = event.activityTaskStartedEventAttributes;
      if (!started || (started.attempt ?? 1) <= 1) return [];
      const scheduled = events.find((other) => String(other.eventId) === String(started.scheduledEventId));
      const activity = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity';
      return [`${activity}: ${(started.lastFailure?.message ?? 'no failure recorded').slice(0, 80)}`];
    }),
    waitedForBuilder: events.filter(
      (event) =>
        event.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType ===
        temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
    ).length,
  };
}

/**
 * Every target of the release built, and any build that ran more than once explained by a retry the server recorded
 * (an attempt that timed out is run again, and a build is repeatable); a build run twice with no retry would be a
 * duplicate.
 */
function expectBuiltOnceEach(result: ReleaseFigures, platforms: string[]): void {
  const ran = buildsRun(result.project, result.version);
  const name = `${result.project} ${result.version}`;
  expect([...new Set(ran)].sort(), name).toEqual([...platforms].sort());
  const buildRetries = result.retries.filter((retry) => retry.startsWith('buildTarget:')).length;
  expect(ran.length, `${name}: builds run beyond its targets and its recorded retries`).toBeLessThanOrEqual(
    platforms.length + buildRetries,
  );
}

/** Builds run beyond one per target, over all releases. */
const extraBuilds = (results: ReleaseFigures[], targets: number) =>
  results.reduce((sum, result) => sum + buildsRun(result.project, result.version).length - targets, 0);

/** Retry causes over all releases, most frequent first. */
function retryCauses(results: ReleaseFigures[]): string {
  const counts = new Map<string, number>();
  for (const retry of results.flatMap((result) => result.retries)) counts.set(retry, (counts.get(retry) ?? 0) + 1);
  return (
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([cause, count]) => `${count} × ${cause}`)
      .join('; ') || 'none'
  );
}

/** At most `limit` at a time: 200 history fetches at once would measure the client, not the server. */
async function inBatches<T, R>(items: T[], limit: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += limit)
    results.push(...(await Promise.all(items.slice(start, start + limit).map(each))));
  return results;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
};
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const row = (cells: string[], widths: number[]) =>
  '  ' +
  cells
    .map((cell, index) => (index === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[index] ?? 0)))
    .join('  ');

interface ScaleRun {
  workers: number;
  wallMs: number;
  releases: ReleaseFigures[];
  loadAfter: string;
}

/** Every release of every project started at once; waits for all of them, then reads each history. */
async function concurrentReleases(workerCount: number): Promise<ScaleRun> {
  const served = await projects(projectCount, { targets: targetsPerRelease, stages: ['build', 'checksum'] });
  const started = Array.from({ length: releases }, (_, index) => ({
    project: (served[index % projectCount] as ExampleProject).project,
    version: `7.${workerCount}.${Math.floor(index / projectCount)}`,
  }));
  const workers = await startWorkers(workerCount, served, platformQueues(targetsPerRelease));
  let wallMs: number;
  try {
    const begin = Date.now();
    await Promise.all(
      started.map(({ project, version }) =>
        client.workflow.start('release', {
          taskQueue,
          workflowId: releaseWorkflowId(project, version),
          args: [{ project, version }],
        }),
      ),
    );
    await Promise.all(
      started.map(({ project, version }) => client.workflow.getHandle(releaseWorkflowId(project, version)).result()),
    );
    wallMs = Date.now() - begin;
  } finally {
    await Promise.all(workers.map(stopGracefully));
  }
  const loadAfter = loadAverage();
  const results = await inBatches(started, 10, ({ project, version }) => figures(project, version));
  const expected = matrixPlatforms(targetsPerRelease)
    .map(({ distro, arch }) => `${distro}/${arch}`)
    .sort();
  for (const result of results) {
    expect(result.status.state, `${result.project} ${result.version}`).toBe('succeeded');
    expectBuiltOnceEach(result, expected);
    // 10 tarballs, 10 sidecars, 2 SUMS files, each digested once.
    expect(result.status.artifacts).toHaveLength(22);
  }
  // A sample on disk: the work folder holds each file of the release once, and nothing a second attempt left.
  const sample = results[0] as ReleaseFigures;
  expect(artifactFiles(served, sample)).toEqual(sample.status.artifacts.map((artifact) => artifact.file).sort());
  return { workers: workerCount, wallMs, releases: results, loadAfter };
}

/** The files a release keeps in its work folder (`<work root>/<project>/<version>/artifacts`), but the build markers. */
function artifactFiles(served: ExampleProject[], release: ReleaseFigures): string[] {
  return readdirSync(join((served[0] as ExampleProject).workRoot, release.project, release.version, 'artifacts'))
    .filter((file) => !file.endsWith('.built-from'))
    .sort();
}

it(
  `prints the forge's write pacing: ${pacedReleases} releases publishing under one token, then each under its own`,
  {
    timeout: 1_800_000,
  },
  async () => {
    const publishedOnce = { ...releasedOnce, hashLines: 0, containerPulls: 0, websitePulls: 0 };
    const runs: { tokens: 'shared' | 'own'; wallMs: number; publishMs: number[] }[] = [];
    for (const tokens of ['shared', 'own'] as const) {
      // The example's 4 targets and source tarball: 12 files attached to each forge release, 12 S3 objects.
      const served = await projects(pacedReleases, { targets: 4, stages: ['build', 'checksum', 'publish'], tokens });
      const workers = await startWorkers(1, served, platformQueues(4));
      const version = tokens === 'shared' ? '8.0.0' : '8.1.0';
      let statuses: ReleaseStatus[];
      const begin = Date.now();
      try {
        statuses = (await Promise.all(
          served.map((example) =>
            client.workflow.execute('release', {
              taskQueue,
              workflowId: releaseWorkflowId(example.project, version),
              args: [{ project: example.project, version }],
            }),
          ),
        )) as ReleaseStatus[];
      } finally {
        await Promise.all(workers.map(stopGracefully));
      }
      const wallMs = Date.now() - begin;
      const publishMs: number[] = [];
      for (const [index, status] of statuses.entries()) {
        expect(status.state).toBe('succeeded');
        expect(await releaseEffects(served[index] as ExampleProject, version)).toEqual(publishedOnce);
        const publish = status.stages.find((stage) => stage.name === 'publish');
        publishMs.push(Date.parse(publish?.finishedAt ?? '') - Date.parse(publish?.startedAt ?? ''));
      }
      runs.push({ tokens, wallMs, publishMs });
    }
    const [shared, own] = runs as [(typeof runs)[0], (typeof runs)[0]];
    const widths = [34, 12, 12, 12, 9];
    const perFile = mean(own.publishMs) / 12;
    console.log(
      [
        '',
        `@relforge/production bench: forge write pacing per credential — ${pacedReleases} projects, one release each at once,`,
        'build → checksum → publish (12 files attached per release), one worker process, production server + GitHub stand-in',
        '',
        row(['tokens', 'publish p50', 'publish max', 'all done', 'ratio'], widths),
        row(
          [
            'one token shared by all projects',
            seconds(quantile(shared.publishMs, 0.5)),
            seconds(Math.max(...shared.publishMs)),
            seconds(shared.wallMs),
            '1.00×',
          ],
          widths,
        ),
        row(
          [
            `a token per project (${pacedReleases})`,
            seconds(quantile(own.publishMs, 0.5)),
            seconds(Math.max(...own.publishMs)),
            seconds(own.wallMs),
            `${(mean(own.publishMs) / mean(shared.publishMs)).toFixed(2)}×`,
          ],
          widths,
        ),
        '',
        `  publish stage per attached file under a token of its own: ${seconds(perFile)}; so 50 releases of 22 files of one`,
        `  project under one token would publish for about ${Math.round((50 * 22 * perFile) / 60_000)} min: figure 1 stops after checksum.`,
        `  every release succeeded; S3 objects, forge releases and assets: once each. load ${loadAverage()}`,
        '',
      ].join('\n'),
    );
  },
);

it(
  `prints the history of a ${bigMatrix}-target release against a ${Math.round(bigMatrix / 4)}-target one`,
  {
    timeout: 1_800_000,
  },
  async () => {
    const sizes = [Math.max(4, Math.round(bigMatrix / 4)), bigMatrix];
    const served = await Promise.all(
      sizes.map((targets) =>
        createExampleProject({ buildCommand: noOpBuild(), targets, stages: ['build', 'checksum'] }),
      ),
    );
    // One process builds every platform of both: a worker for each of the big matrix's platform queues.
    const workers = await startWorkers(1, served, platformQueues(bigMatrix));
    const results: ReleaseFigures[] = [];
    const wall: number[] = [];
    try {
      for (const example of served) {
        const begin = Date.now();
        await client.workflow.execute('release', {
          taskQueue,
          workflowId: releaseWorkflowId(example.project, '9.0.0'),
          args: [{ project: example.project, version: '9.0.0' }],
        });
        wall.push(Date.now() - begin);
        results.push(await figures(example.project, '9.0.0'));
      }
    } finally {
      await Promise.all(workers.map(stopGracefully));
    }
    for (const [index, result] of results.entries()) {
      expect(result.status.state).toBe('succeeded');
      expectBuiltOnceEach(
        result,
        matrixPlatforms(sizes[index] as number).map(({ distro, arch }) => `${distro}/${arch}`),
      );
      // Temporal's own limits are far above these (50 MB history, 2 MB payload); these are Relforge's goal.
      expect(result.bytes).toBeLessThan(Limits.history);
      expect(result.largestPayload).toBeLessThan(Limits.payload);
    }
    const [small, big] = results as [ReleaseFigures, ReleaseFigures];
    const widths = [12, 8, 10, 14, 16, 10, 9];
    const line = (targets: number, result: ReleaseFigures, wallMs: number) =>
      row(
        [
          `${targets} targets`,
          String(result.events),
          kB(result.bytes),
          `${(result.bytes / targets / 1024).toFixed(2)} kB`,
          kB(result.largestPayload),
          seconds(wallMs),
          String(result.retries.length + result.waitedForBuilder),
        ],
        widths,
      );
    console.log(
      [
        '',
        `@relforge/production bench: history of one release by matrix size (no-op builds, build → checksum, one worker`,
        `process building all ${bigMatrix} platforms, each on its own task queue; goal < 2 MB history, no payload ≥ 256 kB)`,
        '',
        row(['matrix', 'events', 'history', 'per target', 'largest payload', 'release', 'retries'], widths),
        line(sizes[0] as number, small, wall[0] as number),
        line(sizes[1] as number, big, wall[1] as number),
        '',
        `  largest payload: ${big.largestPayloadIn} (${(big.largestPayload / (sizes[1] as number) / 1024).toFixed(2)} kB per target)`,
        `  growth: ${((big.bytes - small.bytes) / ((sizes[1] as number) - (sizes[0] as number)) / 1024).toFixed(2)} kB per added target; ` +
          `${(big.bytes / small.bytes).toFixed(2)}× the bytes for ${((sizes[1] as number) / (sizes[0] as number)).toFixed(2)}× the targets. ` +
          `load ${loadAverage()}`,
        '',
      ].join('\n'),
    );
  },
);

it(
  `prints ${releases} concurrent releases of ${projectCount} projects on one worker process, then two`,
  {
    timeout: 3_600_000,
  },
  async () => {
    const runs = [await concurrentReleases(1), await concurrentReleases(2)];
    const [one] = runs as [ScaleRun, ScaleRun];
    const widths = [10, 9, 9, 13, 15, 15, 16, 9, 9, 8];
    const summary = (run: ScaleRun) => {
      const latency = run.releases.map((release) => release.latencyMs);
      return row(
        [
          `${run.workers} worker${run.workers > 1 ? 's' : ''}`,
          seconds(quantile(latency, 0.5)),
          seconds(quantile(latency, 0.95)),
          `${((run.releases.length / run.wallMs) * 60_000).toFixed(1)}/min`,
          mean(run.releases.map((release) => release.events)).toFixed(0),
          kB(mean(run.releases.map((release) => release.bytes))),
          kB(Math.max(...run.releases.map((release) => release.largestPayload))),
          seconds(run.wallMs),
          `${(one.wallMs / run.wallMs).toFixed(2)}×`,
          String(run.releases.reduce((sum, release) => sum + release.retries.length + release.waitedForBuilder, 0)),
        ],
        widths,
      );
    };
    console.log(
      [
        '',
        `@relforge/production bench: ${releases} releases started at once, ${projectCount} projects, ${targetsPerRelease} targets + source ` +
          `tarball each (20 artifact files + 2 SUMS), no-op builds, build → checksum; worker processes with RELFORGE_BUILDS=all,`,
        'one work folder; Temporal on PostgreSQL over mTLS; latency = start → completed from server event times',
        '',
        row(
          [
            'workers',
            'p50',
            'p95',
            'throughput',
            'events/release',
            'bytes/release',
            'largest payload',
            'wall',
            'speed-up',
            'retries',
          ],
          widths,
        ),
        ...runs.map(summary),
        '',
        `  every release succeeded; every target built, any second run a retry in history (build notes), 22 files digested per release; ` +
          `load after: ${runs.map((run) => run.loadAfter).join(' / ')}; ${machine.join('')}`,
        `  largest payload in: ${[...new Set(runs.flatMap((run) => run.releases.map((release) => release.largestPayloadIn)))].join(', ')}`,
        '  retries: activity attempts after the first plus builds that waited past the first 15 s for a builder;',
        ...runs.map(
          (run) =>
            `  ${run.workers} worker(s): ${run.releases.reduce((sum, release) => sum + release.waitedForBuilder, 0)} waits for a builder, ` +
            `${extraBuilds(run.releases, targetsPerRelease)} builds run again; retried: ${retryCauses(run.releases)}`,
        ),
        '',
      ].join('\n'),
    );
  },
);
