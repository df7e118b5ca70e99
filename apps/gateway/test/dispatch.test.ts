/**
 * Dispatch, authorization and audit on real processes: the gateway and `relforge` each a process, the Temporal dev
 * server, the GitHub stand-in with users who sign in with their own tokens, roles, a team, and a NATS server keeping
 * the audit trail. Operations are accepted and refused by each kind of rule (least role, user list, team, per-input
 * rule) and by every kind of bad input, each refusal audited and naming its fix; forged and replayed deliveries are in
 * the trail; the trail refuses deletion; an issue comment releases and is answered in its thread; a train is started,
 * stepped and promoted through dispatch, its refusals answered 409 in its own words, its final approved through the
 * gateway. The refusals seen in the first test are the table in docs/gateway-refusals.md, which it checks
 * (RELFORGE_WRITE_REFUSALS=1 rewrites it).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { auditStreamName, serverAndUser, type AuditRecord } from '@relforge/audit';
import { freePort, serverBinary, startServer } from '@relforge/local-servers';
import {
  releaseWorkflowId,
  statusQuery,
  trainStatusQuery,
  trainWorkflowId,
  type ReleaseStatus,
  type TrainStatus,
} from '@relforge/release';
import {
  createExampleProject,
  stopGracefully,
  suiteClient,
  testStack,
  until,
  workerProcess,
  type ExampleProject,
} from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anonymousBound } from '../src/audit-writer.js';
import { deliver, github, newSecret, startGateway, type RunningGateway } from './gateway-process.js';

const cliMain = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));
const refusalsDoc = fileURLToPath(new URL('../../../docs/gateway-refusals.md', import.meta.url));
const client = suiteClient();
const namespace = () => testStack().temporal.namespace;

/**
 * NATS as production runs it for the audit trail: the clients' user may use JetStream, but not delete or purge the
 * audit streams or their messages; with the streams' deny_delete and deny_purge, nobody through this user can.
 */
// Subject wildcards match whole tokens only: the stream is named exactly, as production's config names each namespace's.
const auditDenied = () =>
  ['STREAM.DELETE', 'STREAM.PURGE', 'STREAM.MSG.DELETE'].map(
    (api) => `"$JS.API.${api}.${auditStreamName(testStack().temporal.namespace)}"`,
  );
let nats: { url: string; admin: string; stop(): Promise<void> };
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-audit-nats-'));
  const port = await freePort();
  const config = join(dir, 'nats.conf');
  writeFileSync(
    config,
    [
      `jetstream { store_dir: "${join(dir, 'jetstream')}" }`,
      'authorization {',
      '  users = [',
      `    { user: relforge, password: relforge-test, permissions: { publish: { allow: [">"], deny: [${auditDenied().join(', ')}] } } }`,
      '    { user: operator, password: operator-test }',
      '  ]',
      '}',
      '',
    ].join('\n'),
  );
  const url = `nats://relforge:relforge-test@127.0.0.1:${port}`;
  const server = await startServer({
    name: 'NATS server (audit)',
    command: serverBinary('nats-server'),
    args: ['--addr', '127.0.0.1', '--port', String(port), '--config', config],
    logFile: join(dir, 'nats.log'),
    ready: async () => {
      const connection = await connect({ ...serverAndUser(url), reconnect: false, timeout: 1_000 });
      await (await jetstreamManager(connection, { timeout: 1_000 })).getAccountInfo().finally(() => connection.close());
      return true;
    },
    readyTimeoutMs: 30_000,
    fix: `check ${join(dir, 'nats.log')}`,
  });
  nats = {
    url,
    admin: `nats://operator:operator-test@127.0.0.1:${port}`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
afterAll(async () => {
  await nats.stop();
});

const running: (ChildProcess | RunningGateway)[] = [];
const startedWorkflows: string[] = [];
afterEach(async () => {
  for (const process of running.splice(0)) {
    if ('stop' in process) await process.stop();
    else await stopGracefully(process);
  }
  // Runs no worker of this test will take: ended, so no other suite's worker on the queue picks them up.
  for (const workflowId of startedWorkflows.splice(0)) {
    await client()
      .workflow.getHandle(workflowId)
      .terminate('dispatch test over')
      .catch(() => undefined);
  }
});

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

function relforge(args: string[], env: Record<string, string>): Promise<Cli> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliMain, ...args],
      {
        env: {
          PATH: process.env['PATH'],
          RELFORGE_TEMPORAL_ADDRESS: testStack().temporal.address,
          RELFORGE_NAMESPACE: namespace(),
          RELFORGE_NATS_URL: nats.url,
          RELFORGE_STATE_DIR: join(testStack().scratchDir, 'no-stack'),
          ...env,
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

interface People {
  alice: string;
  bob: string;
  carol: string;
  dave: string;
  erin: string;
}

/** alice admin, bob write, carol read and in the release-managers team, dave no role, erin's token expired. */
async function seedPeople(example: ExampleProject): Promise<People> {
  const { admin, owner } = example;
  const user = async (login: string, tokenExpiresAt?: string) =>
    (await admin.createUser({ login: `${login}-${owner}`, ...(tokenExpiresAt ? { tokenExpiresAt } : {}) })).token;
  const people = {
    alice: await user('alice'),
    bob: await user('bob'),
    carol: await user('carol'),
    dave: await user('dave'),
    erin: await user('erin', '2021-01-01T00:00:00Z'),
  };
  await admin.setCollaborator({ repo: example.repos.source, login: `alice-${owner}`, role: 'admin' });
  await admin.setCollaborator({ repo: example.repos.source, login: `bob-${owner}`, role: 'write' });
  await admin.setCollaborator({ repo: example.repos.source, login: `carol-${owner}`, role: 'read' });
  await admin.setCollaborator({ repo: example.repos.source, login: `erin-${owner}`, role: 'admin' });
  await admin.createTeam({ org: owner, slug: 'release-managers', members: [`carol-${owner}`] });
  return people;
}

/** The access rules under test, added to the example's config the gateway reads. */
function addAccessRules(example: ExampleProject): void {
  appendFileSync(
    example.configPath,
    [
      'access:',
      '  re-release:',
      '    minRole: admin',
      `    teams: [${example.owner}/release-managers]`,
      '  resume:',
      '    minRole: maintain',
      `    users: [carol-${example.owner}]`,
      '  abort:',
      '    minRole: write',
      '    inputs:',
      `      rollback: { users: [alice-${example.owner}] }`,
      '',
    ].join('\n'),
  );
}

const gatewayTokenVariable = 'RELFORGE_TEST_GATEWAY_TOKEN';

/** `extra`: more settings, e.g. a request rate a burst from one address gets through. */
async function dispatchGateway(
  example: ExampleProject,
  secret: string,
  extra: Record<string, string> = {},
): Promise<RunningGateway> {
  const gateway = await startGateway(example, {
    secret,
    env: {
      RELFORGE_NATS_URL: nats.url,
      RELFORGE_GATEWAY_TOKEN_ENV: gatewayTokenVariable,
      [gatewayTokenVariable]: testStack().github.token,
      ...extra,
    },
  });
  running.push(gateway);
  return gateway;
}

async function post(
  gateway: RunningGateway,
  operation: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}/api/dispatch/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** An issue `opener` opens on the project's source repository: comments posted as people, and the gateway's replies. */
async function commentsOn(example: ExampleProject, opener: string, title: string) {
  const as = async <T>(token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${testStack().github.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as T;
  };
  const issue = await as<{ number: number }>(opener, 'POST', `/repos/${example.repos.source}/issues`, { title });
  const path = `/repos/${example.repos.source}/issues/${issue.number}/comments`;
  type Comment = { body: string; user: { login: string } };
  return {
    issue: issue.number,
    post: (token: string, body: string) => as(token, 'POST', path, { body }),
    /** The gateway's replies in the thread, once there are `count` of them. */
    replies: (count: number) =>
      until(`the gateway to answer ${count} comment(s)`, async () => {
        const listed = await as<Comment[]>(opener, 'GET', path);
        const bot = listed.filter((comment) => comment.user.login === 'relforge-bot').map((comment) => comment.body);
        return bot.length === count ? bot : undefined;
      }),
  };
}

/** The trail as a maintainer reads it: `token` is an admin's (alice's) in both tests. */
async function auditRecords(gateway: RunningGateway, token: string, query = ''): Promise<AuditRecord[]> {
  const response = await fetch(`${gateway.url}/api/audit${query}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { records: AuditRecord[] }).records;
}

/** A refusal as the docs table shows it: the example's random names replaced by the ones a reader knows. */
interface SeenRefusal {
  case: string;
  status: number;
  error: string;
  fix: string;
  rule?: string;
}
const seenRefusals: SeenRefusal[] = [];

function generic(example: ExampleProject, text: string): string {
  return text
    .replaceAll(example.project, 'hello')
    .replaceAll(`-${example.owner}`, '')
    .replaceAll(example.owner, 'acme')
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, 'https://api.github.com');
}

function seen(example: ExampleProject, kase: string, status: number, body: Record<string, unknown>): void {
  seenRefusals.push({
    case: kase,
    status,
    error: generic(example, String(body['error'])),
    fix: generic(example, String(body['fix'])),
    ...(body['rule'] ? { rule: generic(example, String(body['rule'])) } : {}),
  });
}

function refusalsTable(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [
    '# Gateway refusals',
    '',
    'The refusals the gateway answers to a dispatch (`POST /api/dispatch/:operation`, `relforge dispatch`, an issue',
    'comment) and to a forged webhook delivery, as `{error, fix, rule?}` with its status code; each one is audited. Not',
    'listed: the 503s (no forge token, no audit trail, Temporal/forge/NATS unreachable) and the webhook refusals in the',
    'table of [the gateway page](gateway.md).',
    'Generated by apps/gateway/test/dispatch.test.ts from the answers it receives (`RELFORGE_WRITE_REFUSALS=1` rewrites',
    'it), so it cannot go stale; names are those of the example (project hello, repository acme/hello).',
    '',
    'A refusal before the caller is known (no token or one the forge refuses, an unknown operation or project, a body',
    `never read) is recorded with \`auth: "none"\` under no project, at most ${anonymousBound.perWindow} a minute for each way in (dispatch,`,
    'webhook); the rest of that minute are counted in one summary record. A request for no route (404) or with a method',
    'its route does not take (405) is answered `{error, fix}` too, but not audited: it asked for no operation.',
    '',
    '| Case | Status | error | fix | rule |',
    '| --- | --- | --- | --- | --- |',
    ...seenRefusals.map(
      (refusal) =>
        `| ${cell(refusal.case)} | ${refusal.status} | ${cell(refusal.error)} | ${cell(refusal.fix)} | ${cell(refusal.rule ?? '')} |`,
    ),
    '',
  ].join('\n');
}

describe('dispatch through the gateway', () => {
  it(
    'accepts and refuses operations by role, user list, team and per-input rule, refuses bad input, and audits all of it',
    { timeout: 400_000 },
    async () => {
      const example = await createExampleProject();
      addAccessRules(example);
      const people = await seedPeople(example);
      const login = (name: keyof People) => `${name}-${example.owner}`;
      const secret = newSecret();
      const gateway = await dispatchGateway(example, secret);
      const project = example.project;
      const as = (name: keyof People, args: string[]) =>
        relforge(['dispatch', ...args, '--project', project, '--gateway', gateway.url], {
          RELFORGE_GITHUB_TOKEN: people[name],
        });
      for (const version of ['1.5.0']) startedWorkflows.push(releaseWorkflowId(project, version));

      // The operations and their inputs, as the CLI lists them and the API serves them.
      const list = await relforge(['dispatch', '--list', '--gateway', gateway.url], {});
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^release {2}Release a version of the project/m);
      expect(list.stdout).toMatch(/^ {4}rollback +boolean +default false {2}Undo what was never public/m);
      expect(list.stdout).toMatch(/^ {4}reason +string +required/m);
      const listed = (await (await fetch(`${gateway.url}/api/operations`)).json()) as {
        operations: { name: string; schema: { properties: Record<string, { type: string }> } }[];
      };
      expect(listed.operations.map((operation) => operation.name)).toEqual([
        'release',
        're-release',
        'resume',
        'abort',
        'approve',
        'train-start',
        'train-next',
        'train-promote',
      ]);
      expect(list.stdout).toMatch(/^train-promote {2}Move the train to a later channel/m);
      expect(list.stdout).toMatch(/^ {4}channel +string +required/m);
      expect(listed.operations[4]?.schema.properties['digest']).toMatchObject({ type: 'string' });
      expect(listed.operations[3]?.schema.properties['rollback']).toMatchObject({ type: 'boolean', default: false });

      // Least role (the default rule): bob writes, so he releases.
      const released = await as('bob', ['release', '-f', 'version=1.5.0']);
      expect(released.stdout).toBe(`release ${project} 1.5.0 started (workflow release/${project}/1.5.0)\n`);
      expect(released.code).toBe(0);
      expect((await client().workflow.getHandle(releaseWorkflowId(project, '1.5.0')).describe()).status.name).toBe(
        'RUNNING',
      );

      const refusedCli = async (kase: string, name: keyof People, args: string[], status: number, code: number) => {
        const result = await as(name, [...args, '--json']);
        const body = JSON.parse(result.stdout) as Record<string, unknown>;
        seen(example, kase, status, body);
        expect(result.code, kase).toBe(code);
        return body;
      };

      // dave has no role: the default rule refuses, naming itself and who may.
      expect(
        await refusedCli('no role (default least-role rule)', 'dave', ['release', '-f', 'version=1.6.0'], 403, 1),
      ).toEqual({
        error: `release needs write on ${example.repos.source} (rule default access.release); you (${login('dave')}) have no role on ${example.repos.source}`,
        fix: `ask someone with write on ${example.repos.source}`,
        rule: 'default access.release',
      });
      // A team: bob (write) may not re-release; carol (read) may, as a member of the release managers.
      expect(
        await refusedCli(
          'role below the rule and in none of its teams',
          'bob',
          ['re-release', '-f', 'version=1.5.0', '-f', 'reason=asset lost'],
          403,
          1,
        ),
      ).toEqual({
        error: `re-release needs admin on ${example.repos.source} or membership of @${example.owner}/release-managers (rule access.re-release); you (${login('bob')}) have write and are in none of those teams`,
        fix: `ask a member of @${example.owner}/release-managers or someone with admin on ${example.repos.source}`,
        rule: 'access.re-release',
      });
      const byTeam = await as('carol', ['re-release', '-f', 'version=1.5.0', '-f', 'reason=asset lost', '--json']);
      expect(byTeam.code).toBe(0);
      expect(JSON.parse(byTeam.stdout)).toMatchObject({
        how: 'attached',
        workflowId: releaseWorkflowId(project, '1.5.0'),
      });
      // A user list: carol (read) is named for resume; bob (write, below maintain) is not.
      await refusedCli('not in the user list, role below the rule', 'bob', ['resume', '-f', 'version=1.5.0'], 403, 1);
      const conflict = await refusedCli(
        'allowed, but the release was never started',
        'carol',
        ['resume', '-f', 'version=9.9.9'],
        409,
        1,
      );
      expect(conflict['error']).toBe(`${project} 9.9.9 has never been started: nothing to resume`);
      // A per-input rule: bob may abort, but only alice may ask for a rollback.
      expect(
        await refusedCli(
          'per-input rule (abort with rollback)',
          'bob',
          ['abort', '-f', 'version=1.5.0', '-f', 'reason=wrong', '-f', 'rollback=true'],
          403,
          1,
        ),
      ).toMatchObject({
        error: `abort with rollback=true needs to be ${login('alice')} (rule access.abort.inputs.rollback); you (${login('bob')}) have write`,
        rule: 'access.abort.inputs.rollback',
      });
      const aborted = await as('bob', ['abort', '-f', 'version=1.5.0', '-f', 'reason=superseded']);
      expect(aborted.stdout).toBe(`abort sent to ${project} 1.5.0: superseded (workflow release/${project}/1.5.0)\n`);

      // Bad input, each naming the field and the fix, nothing started.
      await refusedCli('unknown operation', 'bob', ['deploy', '-f', 'version=1.6.0'], 404, 2);
      await refusedCli('unknown input', 'bob', ['release', '-f', 'version=1.6.0', '-f', 'colour=red'], 422, 2);
      expect(
        await refusedCli(
          'wrong type',
          'bob',
          ['abort', '-f', 'version=1.6.0', '-f', 'reason=x', '-f', 'rollback=yes'],
          422,
          2,
        ),
      ).toEqual({
        error: 'input rollback: expected true or false, got "yes"',
        fix: 'give rollback=<true or false>',
      });
      expect(await refusedCli('missing required input', 'bob', ['abort', '-f', 'version=1.6.0'], 422, 2)).toEqual({
        error: 'input reason: required (abort takes version, reason, rollback?)',
        fix: 'give reason=<text>',
      });
      await refusedCli('not a version', 'bob', ['release', '-f', 'version=one'], 422, 2);
      await refusedCli('token the forge refuses (expired)', 'erin', ['release', '-f', 'version=1.6.0'], 401, 1);
      const unknownToken = await relforge(
        ['dispatch', 'release', '--project', project, '-f', 'version=1.6.0', '--gateway', gateway.url, '--json'],
        {
          RELFORGE_GITHUB_TOKEN: 'ghp_nobody-has-this-token-0000000000',
        },
      );
      expect(JSON.parse(unknownToken.stdout)).toMatchObject({ error: expect.stringContaining('refused the token') });
      const noToken = await post(gateway, 'release', { project, inputs: { version: '1.6.0' } });
      expect(noToken.status).toBe(401);
      seen(example, 'no token', noToken.status, noToken.body);
      const noProject = await post(gateway, 'release', { project: 'nope', inputs: { version: '1.6.0' } }, people.bob);
      expect(noProject.status).toBe(404);
      seen(example, 'unknown project', noProject.status, noProject.body);
      const notJson = await post(gateway, 'release', '{"project":', people.bob);
      expect(notJson.status).toBe(400);
      seen(example, 'body not JSON', notJson.status, notJson.body);
      // Refused by the framework before any handler reads the body, and answered and audited as the rest.
      const notJsonType = await fetch(`${gateway.url}/api/dispatch/release`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${people.bob}` },
        body: JSON.stringify({ project, inputs: { version: '1.6.0' } }),
      });
      expect(notJsonType.status).toBe(415);
      seen(
        example,
        'body not application/json',
        notJsonType.status,
        (await notJsonType.json()) as Record<string, unknown>,
      );
      const oversized = await post(
        gateway,
        'release',
        { project, inputs: { version: '1.6.0', note: 'x'.repeat(1024 * 1024) } },
        people.bob,
      );
      expect(oversized.status).toBe(413);
      seen(example, 'body over the limit', oversized.status, oversized.body);
      const noStart = await client()
        .workflow.getHandle(releaseWorkflowId(project, '1.6.0'))
        .describe()
        .catch((error: unknown) => error);
      expect(noStart).toBeInstanceOf(Error);

      // Deliveries: a forged one, and a signed one sent twice, all in the trail.
      const ping = { zen: 'hi', hook_id: 1, sender: { login: 'relforge-bot' } };
      const forged = await deliver(gateway, { event: 'ping', id: 'forged-1', payload: ping, secret: 'not-the-secret' });
      expect(forged.status).toBe(401);
      seen(example, 'webhook signed with another secret', forged.status, forged.body);
      const replayed = () => deliver(gateway, { event: 'ping', id: 'replayed-1', payload: ping, secret });
      expect((await replayed()).status).toBe(200);
      expect((await replayed()).status).toBe(200);

      // The CLI's back door to Temporal is audited too, as the OS user.
      const cliAbort = await relforge(['abort', project, '1.5.0', '--reason', 'from the cli'], {});
      expect(cliAbort.code).toBe(0);

      // The trail: every one of the above, by project, actor and time, through the API and `relforge audit`.
      // Only a maintainer of the project's repository reads its trail: it names who did what.
      const unauthenticated = await fetch(`${gateway.url}/api/audit`);
      expect([unauthenticated.status, await unauthenticated.json()]).toEqual([
        401,
        {
          error: 'no token: reading the audit trail needs "Authorization: Bearer <GitHub token>"',
          fix: "send a GitHub token of someone with maintain or admin on the project's source repository",
        },
      ]);
      const writer = await fetch(`${gateway.url}/api/audit?project=${project}`, {
        headers: { authorization: `Bearer ${people.bob}` },
      });
      expect([writer.status, await writer.json()]).toEqual([
        403,
        {
          error: `reading the audit trail of ${project} needs maintain on ${example.repos.source} (rule audit.read); you (${login('bob')}) have write`,
          fix: `ask someone with maintain or admin on ${example.repos.source}`,
          rule: 'audit.read',
        },
      ]);
      const all = await auditRecords(gateway, people.alice);
      const mine = all.filter((record) => record.project === project);
      // Each refusal above once, and the unknown token's, which the table does not list twice.
      const refusedDispatches = all.filter((record) => record.via.kind === 'dispatch' && record.decision === 'refused');
      expect(refusedDispatches).toHaveLength(
        seenRefusals.filter((refusal) => !refusal.case.startsWith('webhook')).length + 1,
      );
      expect(mine).toContainEqual(
        expect.objectContaining({
          actor: { auth: 'github-token', login: login('bob') },
          via: { kind: 'dispatch' },
          operation: 'release',
          inputs: { version: '1.5.0' },
          decision: 'accepted',
          rule: 'default access.release.minRole',
          workflow: { id: releaseWorkflowId(project, '1.5.0') },
        }),
      );
      expect(mine).toContainEqual(
        expect.objectContaining({ operation: 're-release', decision: 'accepted', rule: 'access.re-release.teams' }),
      );
      expect(mine).toContainEqual(
        expect.objectContaining({
          actor: expect.objectContaining({ auth: 'temporal-credentials', osUser: expect.stringMatching(/.+@.+/) }),
          via: { kind: 'cli' },
          operation: 'abort',
          inputs: { version: '1.5.0', reason: 'from the cli' },
        }),
      );
      const deliveries = all.filter((record) => record.via.kind === 'webhook');
      expect(deliveries).toContainEqual(
        expect.objectContaining({
          actor: { auth: 'none' },
          via: { kind: 'webhook', delivery: 'forged-1', event: 'ping' },
          decision: 'refused',
          status: 401,
        }),
      );
      expect(deliveries.filter((record) => record.via.delivery === 'replayed-1')).toHaveLength(2);
      const text = JSON.stringify(all);
      for (const token of [...Object.values(people), testStack().github.token, secret])
        expect(text).not.toContain(token);

      expect(
        (await auditRecords(gateway, people.alice, `?actor=${login('dave')}`)).map((record) => record.decision),
      ).toEqual(['refused']);
      const cliAudit = await relforge(['audit', '--project', project, '--actor', login('bob'), '--json'], {});
      expect(cliAudit.code).toBe(0);
      const bobs = cliAudit.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as AuditRecord);
      expect(bobs.length).toBeGreaterThan(5);
      expect(bobs.every((record) => record.actor.login === login('bob') && record.project === project)).toBe(true);
      const later = await relforge(
        ['audit', '--project', project, '--since', new Date(Date.now() + 60_000).toISOString()],
        {},
      );
      expect(later).toMatchObject({ code: 0, stdout: '' });
      const lines = await relforge(['audit', '--project', project, '--since', '1h'], {});
      expect(lines.stdout).toMatch(
        new RegExp(
          `  ${login('dave')} \\(github-token\\)  via dispatch  release ${project} version=1\\.6\\.0  refused by default access\\.release  release needs write`,
        ),
      );

      // Append-only: the streams refuse purging and deleting records to everyone, and lifting that; the clients' NATS
      // user may not delete the stream either.
      for (const [who, url] of [
        ['the clients', nats.url],
        ['an operator', nats.admin],
      ] as const) {
        const connection = await connect(serverAndUser(url));
        try {
          const jsm = await jetstreamManager(connection, { timeout: 2_000 });
          const stream = auditStreamName(namespace());
          const info = await jsm.streams.info(stream);
          expect(info.config, who).toMatchObject({ deny_delete: true, deny_purge: true, storage: 'file', max_age: 0 });
          await expect(jsm.streams.purge(stream), who).rejects.toThrow();
          await expect(jsm.streams.deleteMessage(stream, 1), who).rejects.toThrow();
          await expect(jsm.streams.update(stream, { deny_delete: false }), who).rejects.toThrow(
            'can not cancel deny message deletes',
          );
          if (who === 'the clients') await expect(jsm.streams.delete(stream), who).rejects.toThrow();
          expect((await jsm.streams.info(stream)).state.messages, who).toBe(info.state.messages);
        } finally {
          await connection.close();
        }
      }

      // The docs' table is what the gateway answers.
      const table = refusalsTable();
      if (process.env['RELFORGE_WRITE_REFUSALS'] === '1') writeFileSync(refusalsDoc, table);
      expect(
        readFileSync(refusalsDoc, 'utf8'),
        'docs/gateway-refusals.md is stale: run this test with RELFORGE_WRITE_REFUSALS=1',
      ).toBe(table);
    },
  );

  it(
    'releases from an issue comment by an authorized user and answers in the thread; refuses and answers one who is not',
    { timeout: 300_000 },
    async () => {
      const example = await createExampleProject();
      const people = await seedPeople(example);
      const secret = newSecret();
      running.push(workerProcess(example, { main: workerMain }));
      const gateway = await dispatchGateway(example, secret);
      const hook = await github<{ id: number }>('POST', `/repos/${example.repos.source}/hooks`, {
        config: { url: gateway.hookUrl, content_type: 'json', secret },
        events: ['issue_comment'],
      });
      expect(hook.status).toBe(201);
      const comments = await commentsOn(example, people.bob, 'Release 1.7.0');
      await comments.post(people.dave, '/relforge release 1.7.0');
      await comments.post(people.bob, 'Ship it.\n/relforge release 1.7.0');

      const workflowId = releaseWorkflowId(example.project, '1.7.0');
      const handle = client().workflow.getHandle(workflowId);
      await until(`${workflowId} to be started`, () => handle.describe(), 60_000, 200);
      expect(((await handle.result()) as ReleaseStatus).state).toBe('succeeded');

      const replies = await comments.replies(2);
      expect(replies).toContainEqual(
        `@dave-${example.owner} refused: release needs write on ${example.repos.source} (rule default access.release); you (dave-${example.owner}) have no role on ${example.repos.source}\n\nfix: ask someone with write on ${example.repos.source}`,
      );
      expect(replies).toContainEqual(
        `@bob-${example.owner} release ${example.project} 1.7.0 started (workflow \`${workflowId}\`).\n\nFollow it on the board: ${gateway.url}/?release=${encodeURIComponent(`${example.project}/1.7.0`)}`,
      );
      const trail = (await auditRecords(gateway, people.alice, `?project=${example.project}`)).filter(
        (record) => record.via.kind === 'issue-comment',
      );
      // The two comments' deliveries are handled concurrently, so their records come in the order they were decided.
      const byLogin = [...trail].sort((a, b) => (a.actor.login ?? '').localeCompare(b.actor.login ?? ''));
      expect(byLogin.map((record) => [record.actor, record.decision])).toEqual([
        [{ auth: 'webhook-signature', login: `bob-${example.owner}` }, 'accepted'],
        [{ auth: 'webhook-signature', login: `dave-${example.owner}` }, 'refused'],
      ]);
      expect(byLogin[0]?.via.comment).toMatch(
        new RegExp(`/${example.repos.source}/issues/${comments.issue}#issuecomment-\\d+$`),
      );
      expect(await example.admin.violations()).toEqual([]);
    },
  );

  it(
    'approves through dispatch: the starter and a wrong digest refused, a listed approver accepted through the API, a member of the approval team from an issue comment',
    { timeout: 300_000 },
    async () => {
      const example = await createExampleProject();
      const people = await seedPeople(example);
      const login = (name: keyof People) => `${name}-${example.owner}`;
      // alice approves as a member of the approval team, asked of the forge with the gateway's token; carol, who has
      // only read, as a listed approver the access rule lets approve.
      await example.admin.createTeam({ org: example.owner, slug: 'approvers', members: [login('alice')] });
      appendFileSync(
        example.configPath,
        [
          'approval:',
          '  required: 2',
          '  approvers:',
          `    users: [${login('bob')}, ${login('carol')}]`,
          `    teams: [${example.owner}/approvers]`,
          'access:',
          '  approve:',
          '    minRole: write',
          `    users: [${login('carol')}]`,
          '',
        ].join('\n'),
      );
      running.push(workerProcess(example, { main: workerMain }));
      const secret = newSecret();
      const gateway = await dispatchGateway(example, secret);
      const hook = await github('POST', `/repos/${example.repos.source}/hooks`, {
        config: { url: gateway.hookUrl, content_type: 'json', secret },
        events: ['issue_comment'],
      });
      expect(hook.status).toBe(201);
      const project = example.project;
      const version = '1.9.0';
      const started = await post(gateway, 'release', { project, inputs: { version } }, people.bob);
      expect(started.status).toBe(202);
      const handle = client().workflow.getHandle(releaseWorkflowId(project, version));
      const waiting = await until(
        `${project} ${version} to await approval`,
        async () => {
          const status = await handle.query(statusQuery).catch(() => undefined);
          return status?.state === 'awaiting-approval' ? status : undefined;
        },
        120_000,
        250,
      );
      const digest = waiting.approval?.digest ?? '';
      expect(waiting.approval?.startedBy).toEqual({ login: login('bob'), via: 'gateway' });

      // Refused by the approval rule, with its status, as POST …/approve answers: not by the access rule that let it run.
      expect(await post(gateway, 'approve', { project, inputs: { version, digest } }, people.bob)).toEqual({
        status: 403,
        body: {
          error: `approve.login: ${login('bob')} started release ${project} ${version} and may not approve it (approval.allowSelfApproval is false)`,
          fix: 'ask another approver',
          rule: 'approval.self-approval',
        },
      });
      const wrong = 'a'.repeat(64);
      const file = waiting.approval?.file ?? '';
      expect(await post(gateway, 'approve', { project, inputs: { version, digest: wrong } }, people.alice)).toEqual({
        status: 409,
        body: {
          error: `approve.digest: ${wrong} is not the digest set of release ${project} ${version}, which is ${digest} (the sha256 of ${file}); the artifacts may have changed since you checked them`,
          fix: `check the artifacts ${file} lists, then approve ${digest}`,
          rule: 'approval.digest',
        },
      });
      const approved = await post(gateway, 'approve', { project, inputs: { version, digest } }, people.carol);
      expect(approved).toEqual({
        status: 202,
        body: {
          operation: 'approve',
          project,
          workflowId: releaseWorkflowId(project, version),
          how: 'approved',
          message: `approved ${project} ${version}: 1 of 2 approvals of digest set ${digest}`,
        },
      });
      // alice approves where the release was discussed: a comment in its issue, answered in the thread.
      const comments = await commentsOn(example, people.bob, `Release ${version}`);
      await comments.post(people.alice, `Checked the files.\n/relforge approve ${version} digest=${digest}`);
      const status = (await handle.result()) as ReleaseStatus;
      expect(status.state).toBe('succeeded');
      expect(status.approval?.approvals.map((given) => given.login)).toEqual([login('carol'), login('alice')]);
      expect(await comments.replies(1)).toEqual([
        `@${login('alice')} approved ${project} ${version}: 2 of 2 approvals of digest set ${digest} (workflow \`${releaseWorkflowId(project, version)}\`).\n\nFollow it on the board: ${gateway.url}/?release=${encodeURIComponent(`${project}/${version}`)}`,
      ]);
      const trail = (await auditRecords(gateway, people.alice, `?project=${project}`)).filter(
        (record) => record.operation === 'approve',
      );
      // Each approve is recorded accepted by the access rules before it runs; the workflow's refusal follows it.
      expect(
        trail.map((record) => [record.actor.login, record.via.kind, record.decision, record.status, record.rule]),
      ).toEqual([
        [login('bob'), 'dispatch', 'accepted', undefined, 'access.approve.minRole'],
        [login('bob'), 'dispatch', 'refused', 403, 'approval.self-approval'],
        [login('alice'), 'dispatch', 'accepted', undefined, 'access.approve.minRole'],
        [login('alice'), 'dispatch', 'refused', 409, 'approval.digest'],
        [login('carol'), 'dispatch', 'accepted', undefined, 'access.approve.users'],
        [login('alice'), 'issue-comment', 'accepted', undefined, 'access.approve.minRole'],
      ]);
      expect(trail[1]?.reason).toContain('may not approve it');
      expect(trail[4]?.rule).toBe('access.approve.users');
      expect(trail[5]?.inputs).toEqual({ version, digest });
    },
  );

  it(
    'refuses the approval of a re-release by the admin who dispatched it, through the approve endpoint, dispatch and an issue comment, with 403 approval.self-approval, audited; another approver approves it',
    { timeout: 400_000 },
    async () => {
      const example = await createExampleProject();
      const people = await seedPeople(example);
      const login = (name: keyof People) => `${name}-${example.owner}`;
      appendFileSync(
        example.configPath,
        ['approval:', '  approvers:', `    users: [${login('alice')}, ${login('bob')}]`, ''].join('\n'),
      );
      running.push(workerProcess(example, { main: workerMain }));
      const secret = newSecret();
      // The approve endpoint asks the forge who the approver is; dispatch asks it with the gateway's token.
      const gateway = await dispatchGateway(example, secret, { RELFORGE_GITHUB_API_URL: testStack().github.url });
      const hook = await github('POST', `/repos/${example.repos.source}/hooks`, {
        config: { url: gateway.hookUrl, content_type: 'json', secret },
        events: ['issue_comment'],
      });
      expect(hook.status).toBe(201);
      const project = example.project;
      const version = '1.8.0';
      const handle = client().workflow.getHandle(releaseWorkflowId(project, version));
      const awaitingApproval = () =>
        until(
          `${project} ${version} to await approval`,
          async () => {
            const status = await handle.query(statusQuery).catch(() => undefined);
            return status?.state === 'awaiting-approval' ? status : undefined;
          },
          180_000,
          250,
        );
      const approveAt = async (name: keyof People, digest: string) => {
        const response = await fetch(`${gateway.url}/api/releases/${project}/${version}/approve`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${people[name]}` },
          body: JSON.stringify({ digest }),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };

      // Released once: bob starts it, alice approves it.
      expect(await post(gateway, 'release', { project, inputs: { version } }, people.bob)).toMatchObject({
        status: 202,
        body: { how: 'started' },
      });
      const first = await awaitingApproval();
      expect(await approveAt('alice', first.approval?.digest ?? '')).toMatchObject({
        status: 200,
        body: { approved: true },
      });
      expect(((await handle.result()) as ReleaseStatus).state).toBe('succeeded');

      // alice, an admin, re-releases it: she started this run, so she may not approve it by any door.
      expect(
        await post(
          gateway,
          're-release',
          { project, inputs: { version, reason: 'asset deleted by mistake' } },
          people.alice,
        ),
      ).toMatchObject({ status: 202, body: { how: 'started' } });
      const waiting = await awaitingApproval();
      const digest = waiting.approval?.digest ?? '';
      const error = `approve.login: ${login('alice')} started release ${project} ${version} and may not approve it (approval.allowSelfApproval is false)`;
      const fix = 'ask another approver';
      expect(await approveAt('alice', digest)).toEqual({ status: 403, body: { error, fix, rule: 'self-approval' } });
      expect(await post(gateway, 'approve', { project, inputs: { version, digest } }, people.alice)).toEqual({
        status: 403,
        body: { error, fix, rule: 'approval.self-approval' },
      });
      const comments = await commentsOn(example, people.bob, `Re-release ${version}`);
      await comments.post(people.alice, `/relforge approve ${version} digest=${digest}`);
      expect(await comments.replies(1)).toEqual([`@${login('alice')} refused: ${error}\n\nfix: ${fix}`]);
      expect(waiting.approval?.startedBy).toEqual({ login: login('alice'), via: 'gateway' });

      expect(await approveAt('bob', digest)).toMatchObject({ status: 200, body: { approved: true } });
      const rereleased = (await handle.result()) as ReleaseStatus;
      expect(rereleased.state).toBe('succeeded');
      expect(rereleased.approval?.approvals.map((given) => given.login)).toEqual([login('bob')]);
      expect(rereleased.audit).toContainEqual(
        expect.objectContaining({ action: 'rerelease', note: 'asset deleted by mistake', by: login('alice') }),
      );

      const trail = (await auditRecords(gateway, people.alice, `?project=${project}`)).filter(
        (record) => record.operation === 'approve',
      );
      expect(
        trail.map((record) => [record.actor.login, record.via.kind, record.decision, record.status, record.rule]),
      ).toEqual([
        // The approve endpoint's accepted approvals carry the access rule that let them in, as dispatch's do.
        [login('alice'), 'dispatch', 'accepted', 200, 'default access.approve.minRole'],
        [login('alice'), 'dispatch', 'refused', 403, 'approval.self-approval'],
        [login('alice'), 'dispatch', 'accepted', undefined, 'default access.approve.minRole'],
        [login('alice'), 'dispatch', 'refused', 403, 'approval.self-approval'],
        [login('alice'), 'issue-comment', 'accepted', undefined, 'default access.approve.minRole'],
        [login('alice'), 'issue-comment', 'refused', 403, 'approval.self-approval'],
        [login('bob'), 'dispatch', 'accepted', 200, 'default access.approve.minRole'],
      ]);
      expect(trail.filter((record) => record.decision === 'refused').map((record) => record.reason)).toEqual([
        error,
        error,
        error,
      ]);
    },
  );
  it(
    'decides an approval alike through dispatch and the approve endpoint: a triage member of the approval team refused by both in the same words and rule, each refusal audited; a writer in the team approves',
    { timeout: 300_000 },
    async () => {
      const example = await createExampleProject();
      const people = await seedPeople(example);
      const login = (name: keyof People | 'frank') => `${name}-${example.owner}`;
      const frank = (await example.admin.createUser({ login: login('frank') })).token;
      await example.admin.setCollaborator({ repo: example.repos.source, login: login('frank'), role: 'triage' });
      await example.admin.createTeam({
        org: example.owner,
        slug: 'approvers',
        members: [login('alice'), login('frank')],
      });
      appendFileSync(
        example.configPath,
        `approval:\n  required: 2\n  approvers:\n    teams: [${example.owner}/approvers]\n`,
      );
      running.push(workerProcess(example, { main: workerMain }));
      const gateway = await dispatchGateway(example, newSecret());
      const project = example.project;
      const version = '1.9.5';
      expect((await post(gateway, 'release', { project, inputs: { version } }, people.bob)).status).toBe(202);
      startedWorkflows.push(releaseWorkflowId(project, version));
      const handle = client().workflow.getHandle(releaseWorkflowId(project, version));
      const waiting = await until(
        `${project} ${version} to await approval`,
        async () => {
          const status = await handle.query(statusQuery).catch(() => undefined);
          return status?.state === 'awaiting-approval' ? status : undefined;
        },
        120_000,
        250,
      );
      const digest = waiting.approval?.digest ?? '';
      const endpoint = async (token: string) => {
        const response = await fetch(`${gateway.url}/api/releases/${project}/${version}/approve`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ digest }),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };

      const refused = {
        status: 403,
        body: {
          error: `approve needs write on ${example.repos.source} (rule default access.approve); you (${login('frank')}) have triage`,
          fix: `ask someone with write on ${example.repos.source}`,
          rule: 'default access.approve',
        },
      };
      expect(await post(gateway, 'approve', { project, inputs: { version, digest } }, frank)).toEqual(refused);
      expect(await endpoint(frank)).toEqual(refused);
      expect(await endpoint(people.alice)).toMatchObject({
        status: 200,
        body: { required: 2, approved: false, approvals: [{ login: login('alice') }] },
      });
      expect((await handle.query(statusQuery)).approval?.approvals.map((given) => given.login)).toEqual([
        login('alice'),
      ]);
      const trail = (await auditRecords(gateway, people.alice, `?project=${project}`)).filter(
        (record) => record.operation === 'approve',
      );
      expect(trail.map((record) => [record.actor.login, record.decision, record.rule, record.status])).toEqual([
        [login('frank'), 'refused', 'default access.approve', 403],
        [login('frank'), 'refused', 'default access.approve', 403],
        [login('alice'), 'accepted', 'default access.approve.minRole', 200],
      ]);
      expect(trail[1]?.reason).toBe(refused.body.error);
    },
  );

  it('forgets refused tokens past its bound: the first of 1,001 made-up tokens is asked of the forge again, a recent one is not', async () => {
    const example = await createExampleProject();
    // 1,001 requests from one address: past the per-client request rate they would be answered 429 unasked.
    const gateway = await dispatchGateway(example, newSecret(), { RELFORGE_GATEWAY_REQUESTS_PER_MINUTE: '100000' });
    const asked = async () => (await example.admin.state()).requests['GET users/get-authenticated'] ?? 0;
    const refuse = async (token: string) => {
      const answer = await post(gateway, 'release', { project: example.project, inputs: { version: '1.0.0' } }, token);
      expect(answer.status).toBe(401);
    };
    const tokens = Array.from({ length: 1_001 }, (_, index) => `ghp_made-up-${example.owner}-${index}`);
    const before = await asked();
    await refuse(tokens[0] ?? '');
    await refuse(tokens[0] ?? '');
    // Within its bound and its minute, a refused token is remembered: the forge was asked once.
    expect(await asked()).toBe(before + 1);
    for (let start = 1; start < tokens.length; start += 25)
      await Promise.all(tokens.slice(start, start + 25).map(refuse));
    expect(await asked()).toBe(before + 1_001);
    await refuse(tokens[1_000] ?? '');
    expect(await asked()).toBe(before + 1_001);
    await refuse(tokens[0] ?? '');
    expect(await asked()).toBe(before + 1_002);
  });

  it(
    "drives a train through dispatch: a writer starts and steps it, a backward promote is refused in the train's words, a writer's promote by the access rule; the final alone awaits approval, given through the gateway",
    { timeout: 600_000 },
    async () => {
      const example = await createExampleProject();
      const people = await seedPeople(example);
      const login = (name: keyof People) => `${name}-${example.owner}`;
      // Prereleases go out unapproved; the final waits for bob or alice, and not for the one who promoted it.
      appendFileSync(
        example.configPath,
        `train:\n  channels: [alpha, beta, rc]\napproval:\n  prereleases: false\n  approvers:\n    users: [${login('bob')}, ${login('alice')}]\n`,
      );
      running.push(workerProcess(example, { main: workerMain }));
      const gateway = await dispatchGateway(example, newSecret());
      const project = example.project;
      const version = '2.0.0';
      const trainId = trainWorkflowId(project, version);
      startedWorkflows.push(trainId);
      const train = client().workflow.getHandle(trainId);
      const as = (name: keyof People, operation: string, inputs: Record<string, string>) =>
        post(gateway, operation, { project, inputs: { version, ...inputs } }, people[name]);

      expect(await as('bob', 'train-start', { channel: 'beta' })).toEqual({
        status: 202,
        body: {
          operation: 'train-start',
          project,
          workflowId: trainId,
          how: 'started',
          message: `train ${project} ${version} started; it is on beta`,
        },
      });
      const beta1 = releaseWorkflowId(project, `${version}-beta.1`);
      // Answered once the step's release started, not when it ends: a second step meanwhile is refused.
      expect(await as('bob', 'train-next', {})).toMatchObject({
        status: 202,
        body: {
          workflowId: trainId,
          how: 'step-started',
          message: `train ${project} ${version} next: releasing ${version}-beta.1 (${beta1})`,
        },
      });
      expect(await as('bob', 'train-next', {})).toEqual({
        status: 409,
        body: {
          error: `train ${project} ${version} refused: ${version}-beta.1 is still running; wait for it (\`relforge status ${project} ${version}-beta.1\`), then ask again`,
          fix: `see \`relforge train status ${project} ${version}\``,
          rule: 'default access.train-next.minRole',
        },
      });
      const prerelease = (await client().workflow.getHandle(beta1).result()) as ReleaseStatus;
      expect(prerelease.state).toBe('succeeded');
      expect(prerelease.stages.map((stage) => stage.name)).not.toContain('approval');
      await until(
        'the train to record beta.1 released',
        async () => ((await train.query(trainStatusQuery)).steps[0]?.outcome === 'released' ? true : undefined),
        60_000,
        250,
      );

      expect(await as('alice', 'train-promote', { channel: 'alpha' })).toEqual({
        status: 409,
        body: {
          error: `train ${project} ${version} refused: channel: the train is on beta; it only moves forward (rc, final), never back to alpha`,
          fix: `see \`relforge train status ${project} ${version}\``,
          rule: 'default access.train-promote.minRole',
        },
      });
      expect(await as('bob', 'train-promote', { channel: 'final' })).toEqual({
        status: 403,
        body: {
          error: `train-promote needs maintain on ${example.repos.source} (rule default access.train-promote); you (${login('bob')}) have write`,
          fix: `ask someone with maintain on ${example.repos.source}`,
          rule: 'default access.train-promote',
        },
      });
      const final = await as('alice', 'train-promote', { channel: 'final' });
      expect(final).toMatchObject({ status: 202, body: { how: 'step-started' } });
      expect(final.body['message']).toBe(
        `train ${project} ${version} promote final: releasing ${version} (${releaseWorkflowId(project, version)})`,
      );

      const release = client().workflow.getHandle(releaseWorkflowId(project, version));
      const waiting = await until(
        `${project} ${version} to await approval`,
        async () => {
          const status = await release.query(statusQuery).catch(() => undefined);
          return status?.state === 'awaiting-approval' ? status : undefined;
        },
        180_000,
        250,
      );
      const digest = waiting.approval?.digest ?? '';
      expect(waiting.approval?.startedBy).toEqual({ login: login('alice'), via: 'gateway' });
      const shown = await relforge(['train', 'status', project, version], {});
      expect(shown.stdout).toContain(
        `${version} is awaiting approval: 0 of 1 (digest set ${digest}; \`relforge approve ${project} ${version}\`)`,
      );
      expect(await as('alice', 'approve', { digest })).toEqual({
        status: 403,
        body: {
          error: `approve.login: ${login('alice')} started release ${project} ${version} and may not approve it (approval.allowSelfApproval is false)`,
          fix: 'ask another approver',
          rule: 'approval.self-approval',
        },
      });
      expect(await as('bob', 'approve', { digest })).toMatchObject({ status: 202, body: { how: 'approved' } });
      const finished = (await train.result()) as TrainStatus;
      expect(finished.state).toBe('finished');
      expect(finished.steps.map((step) => [step.version, step.outcome, step.startedBy?.login])).toEqual([
        [`${version}-beta.1`, 'released', login('bob')],
        [version, 'released', login('alice')],
      ]);
      // A finished train is the version's history: a second start is refused, not a new train.
      expect(await as('bob', 'train-start', {})).toEqual({
        status: 409,
        body: {
          error: `train ${project} ${version} is finished: ${version} is released`,
          fix: `see \`relforge train status ${project} ${version}\`; a later version needs a train of its own`,
          rule: 'default access.train-start.minRole',
        },
      });

      const trail = (await auditRecords(gateway, people.alice, `?project=${project}`)).filter((record) =>
        record.operation.startsWith('train-'),
      );
      expect(trail.map((record) => [record.actor.login, record.operation, record.decision, record.status])).toEqual([
        [login('bob'), 'train-start', 'accepted', undefined],
        [login('bob'), 'train-next', 'accepted', undefined],
        [login('bob'), 'train-next', 'accepted', undefined],
        [login('bob'), 'train-next', 'refused', 409],
        [login('alice'), 'train-promote', 'accepted', undefined],
        [login('alice'), 'train-promote', 'refused', 409],
        [login('bob'), 'train-promote', 'refused', 403],
        [login('alice'), 'train-promote', 'accepted', undefined],
        [login('bob'), 'train-start', 'accepted', undefined],
        [login('bob'), 'train-start', 'refused', 409],
      ]);
      expect(trail[0]).toMatchObject({ inputs: { version, channel: 'beta' }, workflow: { id: trainId } });
      expect(trail[3]?.reason).toContain('is still running');
      expect(trail[6]).toMatchObject({ inputs: { version, channel: 'final' }, rule: 'default access.train-promote' });
    },
  );
});
