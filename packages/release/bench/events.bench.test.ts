/**
 * `pnpm bench`: the price of a release's events. The 20-artifact release with no-op builds on the real local servers,
 * with its events logged to JetStream and without (interleaved, best of 3 each; goal on/off ≤ 1.05: emission must not
 * slow the release), and the bytes its events put on the wire as they are (a JSON patch each) against the same
 * events each carrying the full status instead.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Git } from '@relforge/git';
import { createReleaseActivities, type ReleaseEventLog } from '@relforge/release/activities';
import { releaseWorkflowId, type ReleaseStatus } from '@relforge/release';
import { applyEvent, type ReleaseCloudEvent } from '@relforge/release-events';
import { JetStreamEventLog } from '@relforge/release-events/jetstream';
import { taskQueue } from '@relforge/temporal-names';
import { startTestNats, testStack } from '@relforge/testkit';
import { expect, it } from 'vitest';
import { eventsOf, expectWholeLog } from '../test/event-log.js';
import { releaseWorker, workflowBundle } from '../test/harness.js';
import { archs, distros, twentyArtifactProject } from './twenty-artifacts.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const best = (values: number[]) => Math.min(...values);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** The same event with the status after it instead of the patch: what a receiver that cannot apply patches gets. */
function bytesAsSnapshots(events: ReleaseCloudEvent[]): number {
  let state: { sequence: number; value: unknown } = { sequence: 0, value: undefined };
  let bytes = 0;
  for (const event of events) {
    state = applyEvent(state, event.data);
    const { sequence, appliesTo } = event.data;
    bytes += Buffer.byteLength(JSON.stringify({ ...event, data: { sequence, appliesTo, snapshot: state.value } }));
  }
  return bytes;
}

it(
  'prints a 20-artifact release with events on and off, and its events as patches against full snapshots',
  { timeout: 900_000 },
  async () => {
    const { temporal } = testStack();
    const nats = await startTestNats();
    const log = JetStreamEventLog.open(nats.url, { name: 'relforge-bench' });
    const connection = await Connection.connect({ address: temporal.address });
    const native = await NativeConnection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: temporal.namespace });
    const bundle = await workflowBundle();
    const timings: Record<'on' | 'off', number[]> = { on: [], off: [] };
    let logged: ReleaseCloudEvent[] = [];
    try {
      // Interleaved, so a slower minute of the machine falls on both sides.
      for (const round of [1, 2, 3]) {
        for (const events of ['off', 'on'] as const) {
          const example = await twentyArtifactProject();
          const eventLog: ReleaseEventLog | undefined = events === 'on' ? log : undefined;
          const activities = createReleaseActivities({
            projects: new Map([[example.project, example.configPath]]),
            workRoot: example.workRoot,
            env: example.env,
            git: new Git(),
            ...(eventLog ? { events: eventLog } : {}),
          });
          const worker = await releaseWorker({ native }, activities, {
            builds: distros.flatMap((distro) => archs.map((arch) => ({ distro, arch }))),
            workflowBundle: bundle,
          });
          const started = performance.now();
          const status = (await worker.runUntil(
            client.workflow.execute('release', {
              taskQueue,
              workflowId: `${releaseWorkflowId(example.project, '4.0.0')}/events-${events}-${round}`,
              args: [{ project: example.project, version: '4.0.0' }],
            }),
          )) as ReleaseStatus;
          timings[events].push(performance.now() - started);
          expect(status.state).toBe('succeeded');
          if (events === 'on') {
            logged = await eventsOf(log, temporal.namespace, { project: example.project, version: '4.0.0' });
            expectWholeLog(logged, status);
          }
        }
      }
    } finally {
      await log.close();
      await nats.teardown();
      await connection.close();
      await native.close();
    }
    const ratio = best(timings.on) / best(timings.off);
    const patches = logged.reduce((sum, event) => sum + Buffer.byteLength(JSON.stringify(event)), 0);
    const snapshots = bytesAsSnapshots(logged);
    console.log(
      [
        '',
        '@relforge/release: 20-artifact release, no-op builds, local stack (Temporal dev server, versitygw, GitHub stand-in, NATS); best of 3',
        '',
        `  events off                    ${seconds(best(timings.off))}   median ${seconds(median(timings.off))}   (runs: ${timings.off.map(seconds).join(' / ')})`,
        `  events on (JetStream)         ${seconds(best(timings.on))}   median ${seconds(median(timings.on))}   (runs: ${timings.on.map(seconds).join(' / ')})`,
        `  on / off                      ${ratio.toFixed(3)}×   goal ≤ 1.05×   ${ratio <= 1.05 ? 'met' : 'MISSED'}`,
        '',
        `  events per release            ${logged.length}`,
        `  on the wire, JSON patches     ${kB(patches)}   (${Math.round(patches / logged.length)} B an event)`,
        `  the same, full snapshots      ${kB(snapshots)}   (${Math.round(snapshots / logged.length)} B an event)`,
        `  patches / snapshots           ${(patches / snapshots).toFixed(3)}`,
        '',
      ].join('\n'),
    );
  },
);
