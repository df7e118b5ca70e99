/**
 * What the gateway refuses, on real processes: deliveries signed with another secret, unsigned or form-encoded, each
 * answered with its reason while nothing is started; events that ask for no release, answered `ignored`; the
 * framework's own refusals (a body too large, a type not read, no such route) answered `{error, fix}` like the
 * gateway's and audited; a burst of unauthenticated refusals bounded in the append-only trail; inherited names such as
 * `constructor` refused as unknown inputs; and a bad configuration, refused at start with exit code 2 and the field
 * named, the secret's value never printed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Webhooks } from '@octokit/webhooks';
import { WorkflowNotFoundError } from '@temporalio/client';
import { AuditLog, auditStreamName, type AuditRecord } from '@relforge/audit';
import { releaseWorkflowId } from '@relforge/release';
import {
  createExampleProject,
  exampleDir,
  startTestNats,
  suiteClient,
  testStack,
  type ExampleProject,
  type TestNats,
} from '@relforge/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

  it('answers an approval from nobody, from a token the forge refuses and from someone without the role before asking Temporal anything: with Temporal down, 401, 401 and 403', async () => {
    const example = await createExampleProject();
    const reader = `reader-${example.owner}`;
    const token = (await example.admin.createUser({ login: reader })).token;
    await example.admin.setCollaborator({ repo: example.repos.source, login: reader, role: 'read' });
    gateway = await startGateway(example, {
      secret,
      env: {
        RELFORGE_TEMPORAL_ADDRESS: '127.0.0.1:9',
        RELFORGE_GATEWAY_TOKEN_ENV: 'RELFORGE_TEST_GATEWAY_TOKEN',
        RELFORGE_TEST_GATEWAY_TOKEN: testStack().github.token,
      },
    });
    const approve = async (body: unknown, bearer?: string) => {
      const response = await fetch(`${gateway?.url}/api/releases/${example.project}/1.0.0/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await approve({})).toEqual({
      status: 401,
      body: {
        error: 'who approves? no Authorization: Bearer <GitHub token> header and no signed-in session',
        fix: 'send your GitHub token (relforge approve reads RELFORGE_GITHUB_TOKEN), or sign in at /auth/github/login',
      },
    });
    expect(await approve({ digest: 'a'.repeat(64) }, 'ghp_made-up-token-0000000000')).toMatchObject({ status: 401 });
    expect(await approve({}, token)).toMatchObject({ status: 403, body: { rule: 'default access.approve' } });
    // Temporal is down indeed: someone allowed would have been answered only once it is up.
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
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

describe('refusals in the audit trail', () => {
  let nats: TestNats;
  let trail: AuditLog;
  let gateway: RunningGateway | undefined;
  const gatewayToken = 'RELFORGE_TEST_GATEWAY_TOKEN';
  beforeAll(async () => {
    nats = await startTestNats();
    trail = await AuditLog.connect(nats.url, testStack().temporal.namespace, 'refusals-test');
  });
  afterAll(async () => {
    await trail.close();
    await nats.teardown();
  });
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  /** `extra`: more settings, e.g. a request rate a burst from one address gets through. */
  async function auditedGateway(example: ExampleProject, extra: Record<string, string> = {}): Promise<RunningGateway> {
    return startGateway(example, {
      secret,
      env: {
        RELFORGE_NATS_URL: nats.url,
        RELFORGE_GATEWAY_TOKEN_ENV: gatewayToken,
        [gatewayToken]: testStack().github.token,
        ...extra,
      },
    });
  }

  /** How many records the stream holds, and under which subjects: a record with no project files under `_`. */
  async function stream(): Promise<{ messages: number; subjects: string[] }> {
    const connection = await connect({ servers: nats.url });
    try {
      const info = await (
        await jetstreamManager(connection)
      ).streams.info(auditStreamName(testStack().temporal.namespace), {
        subjects_filter: '>',
      });
      return { messages: info.state.messages, subjects: Object.keys(info.state.subjects ?? {}).sort() };
    } finally {
      await connection.close();
    }
  }

  const since = async (before: number): Promise<AuditRecord[]> => (await trail.read()).slice(before);

  async function send(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
    const response = await fetch(url, init);
    return { status: response.status, body: await response.json() };
  }

  it('answers the framework’s refusals as its own, {error, fix}, and audits those of an operation’s route with what it asked for', async () => {
    const example = await createExampleProject();
    gateway = await auditedGateway(example);
    const before = (await stream()).messages;

    // Over GitHub's 25 MB: no delivery GitHub sends, so nothing is started, but the trail keeps its id.
    const oversized = await send(gateway.hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'oversized-1' },
      body: 'x'.repeat(26 * 1024 * 1024),
    });
    expect(oversized).toEqual({
      status: 413,
      body: {
        error: 'the body is over the limit of 25 MiB (26214400 bytes) for POST /github/webhooks',
        fix: 'send deliveries as GitHub sends them: JSON of at most 25 MB; nothing was started',
      },
    });
    const dispatch = `${gateway.url}/api/dispatch/release`;
    const textPlain = await send(dispatch, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ project: example.project, inputs: { version: '1.5.0' } }),
    });
    expect(textPlain).toEqual({
      status: 415,
      body: {
        error: 'content type text/plain: POST /api/dispatch/:operation reads application/json only',
        fix: 'send {"project": "hello", "inputs": {"version": "1.5.0"}} as application/json',
      },
    });
    const tooLarge = await send(dispatch, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        project: example.project,
        inputs: { version: '1.5.0', note: 'x'.repeat(2 * 1024 * 1024) },
      }),
    });
    expect(tooLarge).toEqual({
      status: 413,
      body: {
        error: 'the body is over the limit of 1 MiB (1048576 bytes) for POST /api/dispatch/:operation',
        fix: 'send {"project": "hello", "inputs": {"version": "1.5.0"}} as application/json',
      },
    });
    const approve = `${gateway.url}/api/releases/${example.project}/1.5.0/approve`;
    const form = await send(approve, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'digest=abc',
    });
    expect(form).toEqual({
      status: 415,
      body: {
        error:
          'content type application/x-www-form-urlencoded: POST /api/releases/:project/:version/approve reads application/json only',
        fix: 'send {"digest": "<sha256>"} as application/json',
      },
    });
    const notJson = await send(approve, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"digest":',
    });
    expect(notJson).toEqual({
      status: 400,
      body: { error: 'the body is not JSON', fix: 'send {"digest": "<sha256>"} as application/json' },
    });

    const records = await since(before);
    expect(records.map((record) => [record.via, record.operation, record.status, record.reason])).toEqual([
      [
        { kind: 'webhook', delivery: 'oversized-1', event: 'push' },
        'webhook push',
        413,
        (oversized.body as { error: string }).error,
      ],
      [{ kind: 'dispatch' }, 'release', 415, (textPlain.body as { error: string }).error],
      [{ kind: 'dispatch' }, 'release', 413, (tooLarge.body as { error: string }).error],
      [{ kind: 'dispatch' }, 'approve', 415, (form.body as { error: string }).error],
      [{ kind: 'dispatch' }, 'approve', 400, 'the body is not JSON'],
    ]);
    // No body was read, so nobody was authenticated: filed under no project, the one it named kept as an input.
    for (const record of records) expect(record).toMatchObject({ actor: { auth: 'none' }, decision: 'refused' });
    expect(records.every((record) => record.project === undefined)).toBe(true);
    expect(records[3]?.inputs).toEqual({ project: example.project, version: '1.5.0' });
    expect(readFileSync(gateway.logFile, 'utf8')).toMatch(/"status":413,.*"delivery":"oversized-1","event":"push"/);

    // A request for no operation is answered, but not audited: scanners would fill the trail with them.
    const wrongMethod = await fetch(dispatch);
    expect([wrongMethod.status, wrongMethod.headers.get('allow'), await wrongMethod.json()]).toEqual([
      405,
      'POST',
      { error: 'GET /api/dispatch/release: this route takes POST', fix: 'send POST /api/dispatch/release' },
    ]);
    const noRoute = await send(`${gateway.url}/wp-login.php?x=1`, {});
    expect(noRoute).toMatchObject({
      status: 404,
      body: {
        error: 'no route GET /wp-login.php on this gateway',
        fix: expect.stringContaining('POST /api/dispatch/:operation'),
      },
    });
    expect((await stream()).messages).toBe(before + records.length);
  });

  it('bounds unauthenticated refusals: 2,000 dispatches under made-up projects add 11 records, 15 forged deliveries 11 of their own, under no project, as auth none', async () => {
    const example = await createExampleProject();
    // The burst comes from one address: past the per-client request rate it would be answered 429 before the audit.
    gateway = await auditedGateway(example, { RELFORGE_GATEWAY_REQUESTS_PER_MINUTE: '100000' });
    const before = await stream();
    const started = Date.now();
    const answers: number[] = [];
    for (let batch = 0; batch < 40; batch++) {
      const sent = Array.from({ length: 50 }, async (_, index) => {
        const response = await fetch(`${gateway?.url}/api/dispatch/release`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer ghp_not-checked' },
          body: JSON.stringify({ project: `made-up-${batch}-${index}`, inputs: { version: '1.5.0' } }),
        });
        await response.body?.cancel();
        return response.status;
      });
      answers.push(...(await Promise.all(sent)));
    }
    // Forged deliveries meanwhile have a bound of their own: a dispatch burst hides no forgery.
    const payload = JSON.stringify({ zen: 'hi' });
    const forged = await new Webhooks({ secret: 'not-the-secret' }).sign(payload);
    for (let index = 0; index < 15; index++) {
      const response = await fetch(gateway.hookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'ping',
          'x-github-delivery': `forged-${index}`,
          'x-hub-signature-256': forged,
        },
        body: payload,
      });
      answers.push(response.status);
    }
    // The bound is per minute: the burst must fit in one for the count below.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(answers.filter((status) => status === 404)).toHaveLength(2_000);
    expect(answers.filter((status) => status === 401)).toHaveLength(15);
    // Stopping writes the open minute's summaries, as the minute's end would.
    await gateway.stop();
    gateway = undefined;

    const after = await stream();
    expect(after.messages - before.messages).toBe(2 * (10 + 1));
    const namespaceSubject = `relforge-audit.${testStack().temporal.namespace}`;
    expect(after.subjects.filter((subject) => !before.subjects.includes(subject))).toEqual(
      before.subjects.includes(`${namespaceSubject}._`) ? [] : [`${namespaceSubject}._`],
    );
    const records = await since(before.messages);
    expect(records.every((record) => record.project === undefined && record.actor.auth === 'none')).toBe(true);
    const dispatches = records.filter((record) => record.via.kind === 'dispatch');
    expect(dispatches.slice(0, 10).map((record) => [record.status, record.reason])).toEqual(
      Array.from({ length: 10 }, () => [404, expect.stringMatching(/^no project "made-up-0-\d+" on this gateway/)]),
    );
    expect(dispatches[10]).toMatchObject({
      operation: 'unauthenticated refusals',
      inputs: { 'status 404': 1_990 },
      reason: expect.stringMatching(
        /^1990 more refusals of unauthenticated dispatch requests from .+ to .+, counted here by status: only the first 10 of each 60 s are recorded one by one$/,
      ),
    });
    const deliveries = records.filter((record) => record.via.kind === 'webhook');
    expect(deliveries.slice(0, 10).map((record) => record.via.delivery)).toEqual(
      Array.from({ length: 10 }, (_, index) => `forged-${index}`),
    );
    expect(deliveries[10]).toMatchObject({ operation: 'unauthenticated refusals', inputs: { 'status 401': 5 } });
  });

  it('refuses constructor, toString and __proto__ as unknown inputs, as any other, in a full record once the caller is known', async () => {
    const example = await createExampleProject();
    const { token } = await example.admin.createUser({ login: `dave-${example.owner}` });
    gateway = await auditedGateway(example);
    const before = (await stream()).messages;
    const project = JSON.stringify(example.project);
    for (const name of ['constructor', 'toString', '__proto__']) {
      // Written out: an object literal's __proto__ would set its prototype rather than send the key.
      const answer = await send(`${gateway.url}/api/dispatch/release`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: `{"project": ${project}, "inputs": {"version": "1.5.0", ${JSON.stringify(name)}: "x"}}`,
      });
      expect(answer, name).toEqual({
        status: 422,
        body: {
          error: `unknown input ${JSON.stringify(name)}: release takes version, fromTag?`,
          fix: `drop ${name}, or see \`relforge dispatch --list\``,
        },
      });
    }
    const records = await since(before);
    expect(records.map((record) => [record.actor, record.project, record.status])).toEqual(
      Array.from({ length: 3 }, () => [{ auth: 'github-token', login: `dave-${example.owner}` }, example.project, 422]),
    );
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
