/**
 * What the gateway refuses, on real processes: deliveries signed with another secret, unsigned or form-encoded, each
 * answered with its reason while nothing is started; events that ask for no release, answered `ignored`; and a bad
 * configuration, refused at start with exit code 2 and the field named, the secret's value never printed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { releaseWorkflowId } from '@relforge/release';
import { createExampleProject, exampleDir, suiteClient, testStack, type ExampleProject } from '@relforge/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { gatewayMain } from '../src/index.js';
import {
  createHook,
  deliveries,
  deliveryAnswer,
  github,
  newSecret,
  redeliver,
  secretVariable,
  sourceClone,
  startGateway,
  type RunningGateway,
} from './gateway-process.js';

const client = suiteClient();
const secret = newSecret();

async function neverStarted(example: ExampleProject, version: string): Promise<void> {
  const error = await client()
    .workflow.getHandle(releaseWorkflowId(example.project, version))
    .describe()
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(WorkflowNotFoundError);
}

/** Pushes a tag with one hook registered, and returns what the gateway answered its push delivery. */
async function pushWithHook(
  example: ExampleProject,
  gateway: RunningGateway,
  tag: string,
  config: { secret?: string; contentType?: 'json' | 'form' },
) {
  const { data, status } = await github<{ id: number }>('POST', `/repos/${example.repos.source}/hooks`, {
    config: {
      url: `${gateway.hookUrl}?${tag}`,
      content_type: config.contentType ?? 'json',
      ...(config.secret ? { secret: config.secret } : {}),
    },
    events: ['push'],
  });
  expect(status).toBe(201);
  const clone = sourceClone(example);
  clone.git(['tag', tag]);
  clone.git(['push', '--quiet', 'origin', tag]);
  const push = (await deliveries(example, data.id)).find((delivery) => delivery.event === 'push');
  await github('PATCH', `/repos/${example.repos.source}/hooks/${data.id}`, { active: false });
  return { code: push?.status_code, answer: await deliveryAnswer(example, data.id, push?.id ?? 0) };
}

describe('the gateway, up', () => {
  let gateway: RunningGateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  it('refuses forged, unsigned and form-encoded deliveries, starting nothing, and ignores events for no release', async () => {
    const example = await createExampleProject();
    gateway = await startGateway(example, { secret });
    expect(await (await fetch(`${gateway.url}/healthz`)).json()).toEqual({ status: 'up' });
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', projects: [example.project] });

    expect(await pushWithHook(example, gateway, 'v2.0.0', { secret: 'not-the-gateway-secret' })).toEqual({
      code: 401,
      answer: {
        error: "X-Hub-Signature-256 does not match the payload under the gateway's webhook secret",
        fix: "give the webhook on GitHub the same secret as the gateway's --webhook-secret-env/--webhook-secret-file; nothing was started",
      },
    });
    await neverStarted(example, '2.0.0');
    expect(await pushWithHook(example, gateway, 'v2.1.0', {})).toEqual({
      code: 401,
      answer: {
        error: 'unsigned delivery: no X-Hub-Signature-256 header',
        fix: "set the webhook's secret on GitHub to the gateway's (Settings → Webhooks → Secret); nothing was started",
      },
    });
    await neverStarted(example, '2.1.0');
    expect(await pushWithHook(example, gateway, 'v2.2.0', { secret, contentType: 'form' })).toMatchObject({
      code: 415,
      answer: { error: 'content type application/x-www-form-urlencoded: the gateway reads JSON deliveries only' },
    });
    await neverStarted(example, '2.2.0');

    const hookId = await createHook(example, `${gateway.hookUrl}?ignored`, secret);
    const clone = sourceClone(example);
    clone.git(['tag', 'not-a-release']);
    clone.git(['commit', '--quiet', '--allow-empty', '-m', 'a change']);
    clone.git(['push', '--quiet', 'origin', 'not-a-release', 'main']);
    const sent = await deliveries(example, hookId);
    const answers = await Promise.all(
      sent.map(async (delivery) => {
        const answer = (await deliveryAnswer(example, hookId, delivery.id)) as { ignored: string };
        return `${delivery.status_code} ${answer.ignored}`;
      }),
    );
    expect(answers.sort()).toEqual(
      [
        '200 ping: the hook reaches the gateway; nothing to start',
        '200 create events start nothing: the push event of the same tag does',
        `200 tag not-a-release is not a release tag (publish.release.tag of ${example.project}: "v{version}")`,
        '200 push to refs/heads/main starts nothing: only a release tag does',
      ].sort(),
    );
  });

  it('starts nothing for a redelivery that reached a run since ended unfinished, even across a gateway restart', async () => {
    const example = await createExampleProject();
    gateway = await startGateway(example, { secret });
    const hookId = await createHook(example, gateway.hookUrl, secret);
    const clone = sourceClone(example);
    clone.git(['tag', 'v4.0.0']);
    clone.git(['push', '--quiet', 'origin', 'v4.0.0']);
    const push = (await deliveries(example, hookId)).find((delivery) => delivery.event === 'push');
    expect(push?.status_code).toBe(202);
    // No worker serves this suite: the run waits until it is lost from outside, as a terminated run is.
    const workflowId = releaseWorkflowId(example.project, '4.0.0');
    await client().workflow.getHandle(workflowId).terminate('lost on purpose');
    await gateway.stop();
    gateway = await startGateway(example, { secret });
    await github('PATCH', `/repos/${example.repos.source}/hooks/${hookId}`, { config: { url: gateway.hookUrl } });

    await redeliver(example, hookId, push?.id ?? 0);
    const again = (await deliveries(example, hookId)).at(-1);
    expect(again).toMatchObject({ guid: push?.guid, redelivery: true, status_code: 200 });
    expect(await deliveryAnswer(example, hookId, again?.id ?? 0)).toMatchObject({
      ignored: `this delivery reached ${workflowId} before, in a run that has ended; nothing was started`,
      releases: [{ workflowId, how: 'delivered-before' }],
    });
    const runs: string[] = [];
    for await (const execution of client().workflow.list({ query: `WorkflowId = ${JSON.stringify(workflowId)}` }))
      runs.push(execution.runId);
    expect(runs).toHaveLength(1);
  });

  it('reports not ready, while up, when Temporal cannot be reached', async () => {
    const example = await createExampleProject();
    gateway = await startGateway(example, { secret, env: { RELFORGE_TEMPORAL_ADDRESS: '127.0.0.1:9' } });
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', error: expect.stringContaining('127.0.0.1:9') });
  });
});

interface Exit {
  code: number | null;
  stderr: string;
}

function gatewayExit(env: Record<string, string>, args: string[] = []): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [gatewayMain, ...args],
      {
        env: {
          PATH: process.env['PATH'],
          RELFORGE_TEMPORAL_ADDRESS: testStack().temporal.address,
          RELFORGE_PROJECTS: join(exampleDir(), 'relforge.yaml'),
          RELFORGE_WEBHOOK_SECRET_ENV: secretVariable,
          [secretVariable]: secret,
          RELFORGE_GATEWAY_LISTEN: '127.0.0.1:0',
          ...env,
        },
        timeout: 30_000,
      },
      (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr }),
    );
  });
}

describe('a gateway configured wrong', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-gateway-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each<{ what: string; env: Record<string, string>; stderr: string }>([
    {
      what: 'a listen address without a port',
      env: { RELFORGE_GATEWAY_LISTEN: 'localhost' },
      stderr: 'relforge gateway: --listen (RELFORGE_GATEWAY_LISTEN): expected host:port',
    },
    {
      what: 'no project config',
      env: { RELFORGE_PROJECTS: '' },
      stderr:
        'relforge gateway: --config (RELFORGE_PROJECTS): give at least one project config: the gateway routes events only for the projects it is told of',
    },
    {
      what: 'no webhook secret named',
      env: { RELFORGE_WEBHOOK_SECRET_ENV: '' },
      stderr:
        'relforge gateway: --webhook-secret-env or --webhook-secret-file (RELFORGE_WEBHOOK_SECRET_ENV, RELFORGE_WEBHOOK_SECRET_FILE): required',
    },
    {
      what: 'the secret itself where its variable belongs',
      env: { RELFORGE_WEBHOOK_SECRET_ENV: secret },
      stderr:
        'relforge gateway: --webhook-secret-env or --webhook-secret-file (RELFORGE_WEBHOOK_SECRET_ENV, RELFORGE_WEBHOOK_SECRET_FILE) env: expected an environment variable name',
    },
    {
      what: 'a secret variable that is not set',
      env: { [secretVariable]: '' },
      stderr: `relforge gateway: webhook secret: environment variable ${secretVariable} is not set`,
    },
    {
      what: 'a Temporal address that is no address',
      env: { RELFORGE_TEMPORAL_ADDRESS: 'temporal.example.org' },
      stderr: 'relforge gateway: RELFORGE_TEMPORAL_ADDRESS: expected host:port, e.g. temporal.example.org:7233',
    },
    {
      what: 'a NATS URL that is no NATS URL',
      env: { RELFORGE_NATS_URL: 'http://127.0.0.1:7222' },
      stderr: 'relforge gateway: --nats-url (RELFORGE_NATS_URL): expected nats://host:port',
    },
    {
      what: 'a Web UI address that is no http(s) URL',
      env: { RELFORGE_TEMPORAL_UI_URL: '127.0.0.1:8233' },
      stderr:
        'relforge gateway: --temporal-ui-url (RELFORGE_TEMPORAL_UI_URL): expected an http(s) URL such as http://127.0.0.1:8233',
    },
    {
      what: 'a request rate that is no whole number',
      env: { RELFORGE_GATEWAY_REQUESTS_PER_MINUTE: 'lots' },
      stderr:
        'relforge gateway: --requests-per-minute (RELFORGE_GATEWAY_REQUESTS_PER_MINUTE): expected a whole number such as 600',
    },
    {
      what: 'no sockets per client',
      env: { RELFORGE_GATEWAY_SOCKETS_PER_CLIENT: '0' },
      stderr: 'relforge gateway: --sockets-per-client (RELFORGE_GATEWAY_SOCKETS_PER_CLIENT): expected 1 or more',
    },
    {
      what: 'a proxy named by host name',
      env: { RELFORGE_GATEWAY_TRUST_PROXY: '127.0.0.1,proxy.example.org' },
      stderr:
        'relforge gateway: --trust-proxy (RELFORGE_GATEWAY_TRUST_PROXY) [1]: expected an IP address or a network such as 10.0.0.0/8',
    },
  ])('refuses $what with exit code 2, naming the field', async ({ env, stderr }) => {
    const exit = await gatewayExit(env);
    expect(exit.stderr).toContain(stderr);
    expect(exit.stderr).toContain('  fix: ');
    expect(exit.stderr).not.toContain(secret);
    expect(exit.code).toBe(2);
  });

  it('refuses an empty secret file and both kinds of secret at once', async () => {
    const file = join(dir, 'empty-secret');
    writeFileSync(file, '\n');
    const empty = await gatewayExit({ RELFORGE_WEBHOOK_SECRET_ENV: '', RELFORGE_WEBHOOK_SECRET_FILE: file });
    expect([empty.code, empty.stderr.split('\n')[0]]).toEqual([
      2,
      `relforge gateway: webhook secret: file ${file} is empty`,
    ]);
    const both = await gatewayExit({ RELFORGE_WEBHOOK_SECRET_FILE: file });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('RELFORGE_WEBHOOK_SECRET_FILE): give one of them, not both');
  });
});
