/**
 * A release started while no worker serves it is `queued`, and says so; once a worker takes it, `relforge events`
 * prints its events from the stack's JetStream, as a receiver gets them: in order, from any sequence, followed live,
 * and folded into a snapshot equal to the status the workflow reports.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stopPid, workspaceRoot } from '@relforge/local-servers';
import { readStackState } from '@relforge/stack';
import type { ReleaseCloudEvent } from '@relforge/release-events';
import { until } from '@relforge/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { seedExampleRepositories } from '../src/dev/example-seeds.js';
import { runCli, stackEnvironment, startCli } from './run-cli.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) {
    await runCli(['stack', 'down'], { RELFORGE_STATE_DIR: dir });
    rmSync(dir, { recursive: true, force: true });
  }
  vi.unstubAllEnvs();
});

const config = join(workspaceRoot(), 'examples', 'hello', 'relforge.yaml');

describe('relforge status and relforge events', () => {
  it('show a release no worker has taken as queued, then its events from JetStream once one has', async () => {
    const env = await stackEnvironment();
    const dir = env.RELFORGE_STATE_DIR;
    dirs.push(dir);
    expect((await runCli(['stack', 'up'], env)).code).toBe(0);
    vi.stubEnv('RELFORGE_STATE_DIR', dir);
    const state = readStackState();
    if (!state?.worker) throw new Error('relforge stack up left no worker in its state file');
    await seedExampleRepositories(state);
    // No worker: the release is started and waits, queued.
    await stopPid(state.worker.pid);
    const releasing = startCli(['release', '1.9.0', '--config', config], env);
    const queued = await until('the release to be queued', async () => {
      const status = await runCli(['status', 'hello', '1.9.0', '--json'], env);
      return JSON.parse(status.stdout) as { state: string; since: string };
    });
    expect(queued.state).toBe('queued');
    const text = await runCli(['status', 'hello', '1.9.0'], env);
    expect(text.stdout).toContain(`hello 1.9.0 is queued since ${queued.since}: no worker has taken it yet`);
    expect((await runCli(['status'], env)).stdout).toMatch(/^release\/hello\/1\.9\.0 {2}running {2}queued /m);
    const none = await runCli(['events', 'hello', '1.9.0'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      `relforge: no events of hello 1.9.0 in stream relforge-events-relforge on nats://127.0.0.1:${env.RELFORGE_NATS_PORT}`,
    );

    // A follower waits for the events; a worker takes the release, and both end with it.
    const following = startCli(['events', 'hello', '1.9.0', '--follow', '--json'], env);
    expect((await runCli(['stack', 'up'], env)).code).toBe(0);
    const released = await releasing.exited;
    expect(released.stdout).toMatch(/^released hello 1\.9\.0 from [0-9a-f]{12}$/m);
    const followed = await following.exited;
    expect(followed.code).toBe(0);
    const events = followed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ReleaseCloudEvent);
    expect(events.map((event) => event.data.sequence)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]).toMatchObject({ type: 'dev.relforge.release.queued.v1', time: queued.since });
    expect(events.at(-1)?.type).toBe('dev.relforge.release.succeeded.v1');

    const listed = await runCli(['events', 'hello', '1.9.0'], env);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(events.length);
    expect(lines[0]).toBe(`    1  ${queued.since}  release queued  (1 patch op)`);
    expect(lines).toContainEqual(
      expect.stringMatching(/^ +\d+ {2}\S+ {2}stage publish succeeded {2}\(\d+ patch ops?\)$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ +\d+ {2}\S+ {2}artifact hello-1\.9\.0\.tar\.gz published {2}\(1 patch op\)$/),
    );
    const from = await runCli(['events', 'hello', '1.9.0', '--from', '5', '--json'], env);
    expect(
      from.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as ReleaseCloudEvent).data.sequence),
    ).toEqual(events.slice(4).map((event) => event.data.sequence));

    // The patches, applied in order, are the status the workflow reports.
    const snapshot = await runCli(['events', 'hello', '1.9.0', '--snapshot'], env);
    const reported = JSON.parse((await runCli(['status', 'hello', '1.9.0', '--json'], env)).stdout) as Record<
      string,
      unknown
    >;
    delete reported['workflowId'];
    delete reported['execution'];
    expect(JSON.parse(snapshot.stdout)).toEqual({ sequence: events.length, value: reported });
    const early = JSON.parse((await runCli(['events', 'hello', '1.9.0', '--snapshot', '2'], env)).stdout) as {
      sequence: number;
      value: { state: string };
    };
    expect([early.sequence, early.value.state]).toEqual([2, 'preparing']);
    expect(readFileSync(join(dir, 'logs', 'worker.log'), 'utf8')).toContain('release events to nats://127.0.0.1:');
  });
});
