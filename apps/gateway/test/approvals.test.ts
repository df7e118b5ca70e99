/**
 * Approvals on real processes: the gateway and the worker each a process of its own, the Temporal dev server,
 * versitygw, the GitHub stand-in (users, teams and the OAuth web flow) and `relforge approve` as a person runs it.
 * A release waits before publish for two approvers of its digest set; the starter may not approve it; a rebuild that
 * changes an artifact makes earlier approvals worthless; a short timeout parks the release.
 */
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StandInAdmin } from '@relforge/github-standin';
import { releaseWorkflowId, statusQuery, type ApprovalStatus, type ReleaseStatus } from '@relforge/release';
import {
  createExampleProject,
  createGitRoot,
  secretsInHistory,
  stopGracefully,
  suiteClient,
  testStack,
  until,
  workerProcess,
  type ExampleProject,
} from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createHook, newSecret, signInEnv, startGateway, type RunningGateway } from './gateway-process.js';

const client = suiteClient();
/** `relforge` as built by `pnpm build` (the CLI depends on the gateway, so the gateway cannot name it as a package). */
const relforgeMain = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));
const suffix = randomBytes(3).toString('hex');
const [alice, bob, carol, trent] = ['alice', 'bob', 'carol', 'trent'].map((name) => `${name}-${suffix}`) as [
  string,
  string,
  string,
  string,
];
const oauthApp = { clientId: `Iv1.gateway-${suffix}`, clientSecret: `oauth-secret-${randomBytes(8).toString('hex')}` };

let example: ExampleProject;
let gateway: RunningGateway;
let worker: ChildProcess;
const tokens: Record<string, string> = {};
/** What must never reach the gateway's log: OAuth codes, cookies, besides the tokens and the app's secret. */
const secrets: string[] = [];
let team: string;

function relforge(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [relforgeMain, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const approveAs = (login: string, version: string, extra: string[] = []) =>
  relforge(['approve', example.project, version, '--gateway', gateway.url, ...extra], {
    RELFORGE_GITHUB_TOKEN: tokens[login] ?? '',
  });

async function post(version: string, init: { token?: string; cookie?: string; body: unknown }) {
  const response = await fetch(`${gateway.url}/api/releases/${example.project}/${version}/approve`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.cookie ? { cookie: init.cookie } : {}),
    },
    body: JSON.stringify(init.body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const handleOf = (version: string) => client().workflow.getHandle(releaseWorkflowId(example.project, version));

function untilState(version: string, state: ReleaseStatus['state']): Promise<ReleaseStatus> {
  return until(
    `${example.project} ${version} to be ${state}`,
    async () => {
      const status = await handleOf(version)
        .query(statusQuery)
        .catch(() => undefined);
      return status?.state === state ? status : undefined;
    },
    120_000,
    250,
  );
}

/** A maintainer's clone of the source repository, pushing as `login` (the token reaches git through GIT_CONFIG_*). */
function cloneAs(login: string) {
  const root = createGitRoot();
  const dir = join(root.dir, `source-${login}`);
  const env = {
    ...root.env,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Bearer ${tokens[login] ?? ''}`,
  };
  const git = (args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
  execFileSync('git', ['clone', '--quiet', `${testStack().github.url}/${example.repos.source}.git`, dir], {
    cwd: root.dir,
    env,
  });
  return { dir, git };
}

/** Signs `login` in through the OAuth web flow, hop by hop as a browser follows it; returns the session cookie. */
async function signIn(login: string): Promise<string> {
  const start = await fetch(`${gateway.url}/auth/github/login?return=/board`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const pending = (start.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const authorize = new URL(start.headers.get('location') ?? '');
  expect(`${authorize.origin}${authorize.pathname}`).toBe(`${testStack().github.url}/login/oauth/authorize`);
  authorize.searchParams.set('login', login);
  const granted = await fetch(authorize, { redirect: 'manual' });
  expect(granted.status).toBe(302);
  const callback = new URL(granted.headers.get('location') ?? '');
  secrets.push(callback.searchParams.get('code') ?? '', pending.split('=')[1] ?? '');
  // A callback whose state is not the one this browser's sign-in started is refused.
  const forged = new URL(callback);
  forged.searchParams.set('state', 'f'.repeat(32));
  const refused = await fetch(forged, { redirect: 'manual', headers: { cookie: pending } });
  expect(refused.status).toBe(400);
  expect(await refused.json()).toMatchObject({ error: 'state: does not match the sign-in this browser started' });

  const landed = await fetch(callback, { redirect: 'manual', headers: { cookie: pending } });
  expect(landed.status).toBe(302);
  expect(landed.headers.get('location')).toBe('/board');
  const session = landed.headers.getSetCookie().find((cookie) => cookie.startsWith('relforge_session='));
  expect(session).toMatch(/HttpOnly; SameSite=Lax/);
  const cookie = (session ?? '').split(';')[0] ?? '';
  secrets.push(cookie.split('=')[1] ?? '');
  return cookie;
}

/** Inside the test: the example's folders live as long as it does. */
async function setUp(): Promise<void> {
  const admin = new StandInAdmin(testStack().github.url);
  example = await createExampleProject();
  team = `${example.repos.source.split('/')[0]}/release-managers-${suffix}`;
  for (const login of [alice, bob]) tokens[login] = (await admin.createUser({ login })).token;
  tokens[carol] = (await admin.createUser({ login: carol, teams: [team] })).token;
  // Writers, as the default access.approve asks of whoever approves through any door; trent, a triage member of the
  // approval team, is not one.
  for (const login of [alice, bob, carol])
    await admin.setCollaborator({ repo: example.repos.source, login, role: 'write' });
  tokens[trent] = (await admin.createUser({ login: trent, teams: [team] })).token;
  await admin.setCollaborator({ repo: example.repos.source, login: trent, role: 'triage' });
  await admin.addOAuthApp(oauthApp);
  appendFileSync(
    example.configPath,
    `approval:\n  required: 2\n  approvers:\n    users: [${alice}, ${bob}]\n    teams: [${team}]\n`,
  );
  const secret = newSecret();
  worker = workerProcess(example, { main: workerMain });
  gateway = await startGateway(example, {
    secret,
    env: {
      ...signInEnv(oauthApp),
      // Roles and team memberships are asked with the gateway's own token, whoever approves.
      RELFORGE_GATEWAY_TOKEN_ENV: 'RELFORGE_TEST_GATEWAY_TOKEN',
      RELFORGE_TEST_GATEWAY_TOKEN: testStack().github.token,
    },
  });
  await createHook(example, gateway.hookUrl, secret);
}

afterAll(async () => {
  await gateway?.stop();
  if (worker) await stopGracefully(worker);
});

describe('approvals through the gateway', () => {
  it(
    'hold a release for two approvers of its digest set, refuse the starter, drop approvals of changed artifacts, and time out',
    { timeout: 600_000 },
    async () => {
      await setUp();
      await tagPushedByAliceIsApprovedByBobAndCarol();
      await aRebuildMakesEarlierApprovalsWorthless();
      await aTimeoutParksTheReleaseAndOthersAreRefused();
      const log = readFileSync(gateway.logFile, 'utf8');
      expect(log).toContain('approval refused');
      const leaked = [...secrets, ...Object.values(tokens), oauthApp.clientSecret].filter((secret) =>
        log.includes(secret),
      );
      expect(leaked).toEqual([]);
    },
  );
});

/** A tag alice pushed waits before publish; alice may not approve it; bob (a token) and carol (signed in, by team) do. */
async function tagPushedByAliceIsApprovedByBobAndCarol(): Promise<void> {
  expect(existsSync(relforgeMain), 'run `pnpm build`: the test runs the built relforge').toBe(true);
  const clone = cloneAs(alice);
  clone.git(['tag', 'v2.1.0']);
  clone.git(['push', '--quiet', 'origin', 'v2.1.0']);
  const waiting = await untilState('2.1.0', 'awaiting-approval');
  const approval = waiting.approval as ApprovalStatus;
  expect(approval.startedBy).toEqual({ login: alice, via: 'github' });
  expect(approval.digest).toBe(waiting.artifacts.find((artifact) => artifact.file === approval.file)?.sha256);

  // Without --digest it shows what the digest set covers, and asks for it.
  const shown = await approveAs(bob, '2.1.0');
  expect(shown.code).toBe(2);
  expect(shown.stdout).toContain(`digest set: ${approval.digest}  (sha256 of ${approval.file}, which lists:)`);
  for (const covered of approval.covers) expect(shown.stdout).toContain(`${covered.sha256}  ${covered.file}`);
  expect(shown.stderr).toContain(
    `fix: check the files above, then: relforge approve ${example.project} 2.1.0 --digest ${approval.digest}`,
  );

  const self = await approveAs(alice, '2.1.0', ['--digest', approval.digest]);
  expect(self.code).toBe(2);
  expect(self.stderr).toContain(
    `relforge: the gateway refused the approval (403, self-approval): approve.login: ${alice} started release ${example.project} 2.1.0 and may not approve it (approval.allowSelfApproval is false)`,
  );
  // trent is in the approval team but has only triage: refused by the access rule, as dispatch refuses him.
  const triage = await approveAs(trent, '2.1.0', ['--digest', approval.digest]);
  expect(triage.code).toBe(2);
  expect(triage.stderr).toContain(
    `relforge: the gateway refused the approval (403, default access.approve): approve needs write on ${example.repos.source} (rule default access.approve); you (${trent}) have triage`,
  );
  const first = await approveAs(bob, '2.1.0', ['--digest', approval.digest]);
  expect(first).toMatchObject({ code: 0 });
  expect(first.stdout).toContain(
    `approved ${example.project} 2.1.0: 1 of 2 approvals (${bob}) of digest set ${approval.digest}`,
  );
  expect((await approveAs(bob, '2.1.0', ['--digest', approval.digest])).stderr).toContain('(409, repeat-approver)');

  const cookie = await signIn(carol);
  const session = await fetch(`${gateway.url}/api/session`, { headers: { cookie } });
  expect(await session.json()).toEqual({ login: carol });
  expect((await fetch(`${gateway.url}/api/session`)).status).toBe(401);
  const approved = await post('2.1.0', { cookie, body: { digest: approval.digest } });
  expect(approved).toMatchObject({
    status: 200,
    body: { required: 2, digest: approval.digest, approved: true, approvals: [{ login: bob }, { login: carol }] },
  });

  const status = (await handleOf('2.1.0').result()) as ReleaseStatus;
  expect(status.state).toBe('succeeded');
  expect(status.artifacts.every((artifact) => artifact.state === 'published')).toBe(true);
  const history = historyToJSON(await handleOf('2.1.0').fetchHistory());
  expect(secretsInHistory(history, [...Object.values(tokens), oauthApp.clientSecret])).toEqual([]);
}

/** A lost run replaced after the branch moved builds other bytes: the earlier approval does not count, its digest is refused. */
async function aRebuildMakesEarlierApprovalsWorthless(): Promise<void> {
  // Started from a terminal by carol, who says who she is: the stage refuses her approval of her own release.
  const started = await relforge(['release', '2.2.0', '--project', example.project], {
    RELFORGE_TEMPORAL_ADDRESS: testStack().temporal.address,
    RELFORGE_NAMESPACE: testStack().temporal.namespace,
    RELFORGE_GITHUB_LOGIN: carol,
  });
  // `relforge release` follows the release until it holds for people, and says how to approve it.
  expect(started.code).toBe(4);
  expect(started.stdout).toContain(
    `release ${example.project} 2.2.0 is awaiting approval before publish: 0 of 2 given`,
  );
  const before = (await untilState('2.2.0', 'awaiting-approval')).approval as ApprovalStatus;
  expect(before.startedBy).toEqual({ login: carol, via: 'cli' });
  expect(await post('2.2.0', { token: tokens[carol], body: { digest: before.digest } })).toMatchObject({
    status: 403,
    body: { rule: 'self-approval' },
  });
  expect((await post('2.2.0', { token: tokens[bob], body: { digest: before.digest } })).status).toBe(200);

  // The run is lost and the branch moves on: the new run builds other bytes.
  await handleOf('2.2.0').terminate('test: lost while awaiting approval');
  const clone = cloneAs(bob);
  writeFileSync(join(clone.dir, 'README.md'), `${readFileSync(join(clone.dir, 'README.md'), 'utf8')}\nChanged.\n`);
  clone.git(['commit', '--quiet', '-am', 'change a file the tarballs carry']);
  clone.git(['push', '--quiet', 'origin', 'HEAD']);
  const resumed = await relforge(['resume', example.project, '2.2.0'], {
    RELFORGE_TEMPORAL_ADDRESS: testStack().temporal.address,
    RELFORGE_NAMESPACE: testStack().temporal.namespace,
  });
  expect(resumed.code).toBe(4);
  const after = (await untilState('2.2.0', 'awaiting-approval')).approval as ApprovalStatus;
  expect(after.digest).not.toBe(before.digest);
  expect(after.approvals).toEqual([]);

  const stale = await post('2.2.0', { token: tokens[carol], body: { digest: before.digest } });
  expect(stale).toMatchObject({
    status: 409,
    body: { rule: 'digest', approval: { digest: after.digest, approvals: [] } },
  });
  expect(String(stale.body['error'])).toContain(
    `is not the digest set of release ${example.project} 2.2.0, which is ${after.digest}`,
  );
  await handleOf('2.2.0').terminate('test: done');
}

/** A short approval.timeout parks the release waiting; approvals of a release that does not await one are refused. */
async function aTimeoutParksTheReleaseAndOthersAreRefused(): Promise<void> {
  appendFileSync(example.configPath, '  timeout: 3s\n');
  const env = {
    RELFORGE_TEMPORAL_ADDRESS: testStack().temporal.address,
    RELFORGE_NAMESPACE: testStack().temporal.namespace,
  };
  await relforge(['release', '2.3.0', '--project', example.project], env);
  const parked = await untilState('2.3.0', 'waiting');
  expect(parked.error).toBe(
    'approval timed out after 3s with 0 of 2 approvals; resume the release to ask for approvals again',
  );
  const status = await relforge(['status', example.project, '2.3.0'], env);
  expect(status.code).toBe(4);
  expect(status.stdout).toContain('approval timed out after 3s');

  const notAwaiting = await post('2.3.0', { token: tokens[bob], body: { digest: parked.approval?.digest } });
  expect(notAwaiting).toMatchObject({
    status: 409,
    body: {
      rule: 'not-awaiting-approval',
      error: `release ${example.project} 2.3.0 is not awaiting approval (it is waiting)`,
    },
  });
  const none = await post('9.9.9', { token: tokens[bob], body: { digest: 'a'.repeat(64) } });
  expect(none).toMatchObject({
    status: 409,
    body: {
      rule: 'not-awaiting-approval',
      error: `release ${example.project} 9.9.9 is not awaiting approval: no run of it is open`,
    },
  });
  expect((await post('2.3.0', { body: { digest: 'a'.repeat(64) } })).status).toBe(401);
  expect((await post('2.3.0', { token: 'gho_not-a-token', body: { digest: 'a'.repeat(64) } })).status).toBe(401);
  await handleOf('2.3.0').terminate('test: done');
}
