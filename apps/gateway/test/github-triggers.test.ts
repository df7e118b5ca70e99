/**
 * GitHub starts releases through the gateway, on real processes: the gateway and the worker each a process of its
 * own, the Temporal dev server, versitygw, and the GitHub stand-in sending webhooks as GitHub does. A `git push` of a
 * tag releases it; the Dask race (the tag push and the release a person published, delivered at the same instant and
 * each twice) gives one release, and of the two deliveries at one instant, one says it started the release and the
 * other that it attached; a delivery sent again after the release starts nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { releaseWorkflowId, type ReleaseStatus } from '@relforge/release';
import {
  createExampleProject,
  exampleSecrets,
  releaseEffects,
  releasedOnce,
  secretsInHistory,
  stopGracefully,
  suiteClient,
  until,
  workerProcess,
  type ExampleProject,
} from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHook,
  deliver,
  deliveries,
  deliveryAnswer,
  github,
  newSecret,
  redeliver,
  sourceClone,
  startGateway,
  type RunningGateway,
} from './gateway-process.js';

const client = suiteClient();
const running: (ChildProcess | RunningGateway)[] = [];
afterEach(async () => {
  for (const process of running.splice(0)) {
    if ('stop' in process) await process.stop();
    else await stopGracefully(process);
  }
});

async function servers(example: ExampleProject, secret: string): Promise<RunningGateway> {
  running.push(workerProcess(example, { main: workerMain }));
  const gateway = await startGateway(example, { secret });
  running.push(gateway);
  return gateway;
}

/** Every run the release's workflow id has had: one means nothing was started twice. */
async function runsOf(workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const execution of client().workflow.list({ query: `WorkflowId = ${JSON.stringify(workflowId)}` }))
    runs.push(execution.runId);
  return runs;
}

/** The release's outcome, once the delivery (made in the background, as GitHub makes it) has started it. */
async function released(workflowId: string): Promise<ReleaseStatus> {
  const handle = client().workflow.getHandle(workflowId);
  await until(`${workflowId} to be started`, () => handle.describe(), 60_000, 200);
  return (await handle.result()) as ReleaseStatus;
}

describe('releases started by GitHub webhooks through the gateway', () => {
  it('releases 1.5.0 when v1.5.0 is pushed to the stand-in, and a redelivery afterwards starts nothing', async () => {
    const example = await createExampleProject();
    const secret = newSecret();
    const gateway = await servers(example, secret);
    const hookId = await createHook(example, gateway.hookUrl, secret);
    const clone = sourceClone(example);
    clone.git(['tag', 'v1.5.0']);
    clone.git(['push', '--quiet', 'origin', 'v1.5.0']);

    const workflowId = releaseWorkflowId(example.project, '1.5.0');
    const status = await released(workflowId);
    expect(status.state).toBe('succeeded');
    expect(status.sourceCommit).toBe(clone.git(['rev-parse', 'v1.5.0^{commit}']));
    expect(await releaseEffects(example, '1.5.0')).toEqual(releasedOnce);

    const sent = await deliveries(example, hookId);
    const push = sent.find((delivery) => delivery.event === 'push');
    expect(push?.status_code).toBe(202);
    expect(await deliveryAnswer(example, hookId, push?.id ?? 0)).toEqual({
      delivery: push?.guid,
      releases: [{ project: example.project, version: '1.5.0', workflowId, how: 'started' }],
    });
    // The release's own publishing sent `release` published too: recorded if it came while the release ran.
    expect(status.triggers?.[0]?.deliveryId).toBe(push?.guid);
    expect(status.triggers?.slice(1).map((trigger) => trigger.event)).toEqual(
      status.triggers?.slice(1).map(() => 'release'),
    );
    expect(sent.filter((delivery) => delivery.event === 'release').map((delivery) => delivery.status_code)).toEqual([
      status.triggers?.length === 2 ? 202 : 200,
    ]);
    expect(status.triggers?.[0]).toMatchObject({ via: 'github', tag: 'v1.5.0', sender: 'relforge-bot' });
    expect(sent.find((delivery) => delivery.event === 'create')?.status_code).toBe(200);

    // GitHub's "Redeliver" of the push, after the release: answered, nothing started.
    await redeliver(example, hookId, push?.id ?? 0);
    const again = (await deliveries(example, hookId)).at(-1);
    expect(again).toMatchObject({ guid: push?.guid, redelivery: true, status_code: 200 });
    expect(await deliveryAnswer(example, hookId, again?.id ?? 0)).toMatchObject({
      ignored: `${example.project} 1.5.0 is released already; nothing was started`,
    });
    expect(await runsOf(workflowId)).toHaveLength(1);
    expect(await releaseEffects(example, '1.5.0')).toEqual(releasedOnce);
    const history = historyToJSON(await client().workflow.getHandle(workflowId).fetchHistory());
    expect(secretsInHistory(history, [...exampleSecrets(example), secret])).toEqual([]);
  });

  it('the Dask race: a tag push and a published release, each delivered twice at the same instant, release once', async () => {
    const example = await createExampleProject();
    const secret = newSecret();
    const gateway = await servers(example, secret);
    // GitHub tried while the gateway could not be reached: both deliveries failed and wait to be redelivered.
    const hookId = await createHook(example, `http://127.0.0.1:9/github/webhooks`, secret);
    const clone = sourceClone(example);
    clone.git(['tag', 'v1.6.0']);
    clone.git(['push', '--quiet', 'origin', 'v1.6.0']);
    const published = await github<{ id: number }>('POST', `/repos/${example.repos.source}/releases`, {
      tag_name: 'v1.6.0',
      name: 'hello 1.6.0, by a maintainer',
      body: 'the notes a person wrote',
      draft: false,
    });
    expect(published.status).toBe(201);
    const failed = await deliveries(example, hookId);
    const push = failed.find((delivery) => delivery.event === 'push');
    const release = failed.find((delivery) => delivery.event === 'release' && delivery.action === 'published');
    expect([push?.status_code, release?.status_code]).toEqual([0, 0]);

    const { status } = await github('PATCH', `/repos/${example.repos.source}/hooks/${hookId}`, {
      config: { url: gateway.hookUrl },
    });
    expect(status).toBe(200);
    await Promise.all([push, release, push, release].map((delivery) => redeliver(example, hookId, delivery?.id ?? 0)));

    const workflowId = releaseWorkflowId(example.project, '1.6.0');
    const outcome = await released(workflowId);
    expect(outcome.state).toBe('succeeded');
    expect(await runsOf(workflowId)).toHaveLength(1);
    const answers = (await deliveries(example, hookId)).filter((delivery) => delivery.redelivery);
    expect(answers.map((delivery) => delivery.status_code)).toEqual([202, 202, 202, 202]);
    expect(new Set(outcome.triggers?.map((trigger) => trigger.deliveryId))).toEqual(
      new Set([push?.guid, release?.guid]),
    );
    expect(outcome.triggers).toHaveLength(2);
    expect(outcome.triggers?.find((trigger) => trigger.event === 'release')?.release?.id).toBe(published.data.id);
    expect(outcome.sourceCommit).toBe(clone.git(['rev-parse', 'v1.6.0^{commit}']));

    // One release, the one the person published, with Relforge's assets in it: nothing drafted beside it.
    expect(await releaseEffects(example, '1.6.0')).toEqual(releasedOnce);
    const [forgeRelease] = (await example.admin.state()).repos[example.repos.source]?.releases ?? [];
    expect(forgeRelease).toMatchObject({ id: published.data.id, name: 'hello 1.6.0, by a maintainer', draft: false });
  });

  it('answers a tag push and its published release, arriving at the same instant, one started and one attached', async () => {
    const example = await createExampleProject();
    const secret = newSecret();
    const gateway = await servers(example, secret);
    // No hook on the stand-in: the test is GitHub here, and sends both deliveries at once.
    const clone = sourceClone(example);
    clone.git(['tag', 'v1.8.0']);
    clone.git(['push', '--quiet', 'origin', 'v1.8.0']);
    const published = await github<{ id: number; html_url: string }>(
      'POST',
      `/repos/${example.repos.source}/releases`,
      {
        tag_name: 'v1.8.0',
        name: 'hello 1.8.0, by a maintainer',
        draft: false,
      },
    );
    expect(published.status).toBe(201);
    const repository = { full_name: example.repos.source };
    const sender = { login: 'relforge-bot' };
    const [push, release] = await Promise.all([
      deliver(gateway, {
        event: 'push',
        id: 'push-v1.8.0',
        payload: { ref: 'refs/tags/v1.8.0', deleted: false, repository, sender },
        secret,
      }),
      deliver(gateway, {
        event: 'release',
        id: 'release-v1.8.0',
        payload: {
          action: 'published',
          release: { id: published.data.id, tag_name: 'v1.8.0', html_url: published.data.html_url, draft: false },
          repository,
          sender,
        },
        secret,
      }),
    ]);

    const workflowId = releaseWorkflowId(example.project, '1.8.0');
    const answered = (answer: typeof push) => (answer.body['releases'] as { how: string }[] | undefined)?.[0]?.how;
    expect([push.status, release.status]).toEqual([202, 202]);
    expect([answered(push), answered(release)].sort()).toEqual(['attached', 'started']);
    const outcome = await released(workflowId);
    expect(outcome.state).toBe('succeeded');
    expect(await runsOf(workflowId)).toHaveLength(1);
    // Both deliveries reached the one run, whichever of them started it.
    expect(outcome.triggers?.map((trigger) => trigger.deliveryId).sort()).toEqual(['push-v1.8.0', 'release-v1.8.0']);
    expect(await releaseEffects(example, '1.8.0')).toEqual(releasedOnce);
  });
});
