/**
 * The gateway as people run it, for tests: its own process on a free port, configured by its environment, ready once
 * /healthz answers; and GitHub's side of it on the stand-in: a webhook on the example's repository, git pushes, and the
 * deliveries the stand-in made, read through GitHub's REST API.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Webhooks } from '@octokit/webhooks';
import { freePort, startServer, type ServerProcess } from '@relforge/local-servers';
import { createGitRoot, testStack, until, type ExampleProject } from '@relforge/testkit';
import { gatewayMain } from '../src/index.js';

export interface RunningGateway extends ServerProcess {
  url: string;
  /** Where GitHub is told to deliver. */
  hookUrl: string;
}

/** A secret of the gateway's, handed over in its environment under this name: never on its command line. */
export const secretVariable = 'RELFORGE_TEST_WEBHOOK_SECRET';

export async function startGateway(
  example: ExampleProject,
  options: { secret: string; env?: Record<string, string>; port?: number },
): Promise<RunningGateway> {
  // A given port starts a gateway again where its clients reconnect.
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const { temporal } = testStack();
  const server = await startServer({
    name: 'gateway',
    command: process.execPath,
    args: [gatewayMain],
    env: {
      ...example.env,
      RELFORGE_GATEWAY_LISTEN: `127.0.0.1:${port}`,
      RELFORGE_TEMPORAL_ADDRESS: temporal.address,
      RELFORGE_NAMESPACE: temporal.namespace,
      RELFORGE_PROJECTS: example.configPath,
      RELFORGE_WEBHOOK_SECRET_ENV: secretVariable,
      [secretVariable]: options.secret,
      ...options.env,
    },
    logFile: join(example.workRoot, '..', `gateway-${port}.log`),
    ready: async () => (await fetch(`${url}/healthz`)).ok,
    readyTimeoutMs: 30_000,
    fix: 'read the gateway log; run `pnpm build` if apps/gateway/dist is missing',
  });
  return { ...server, url, hookUrl: `${url}/github/webhooks` };
}

export const newSecret = () => `whsec-${randomBytes(12).toString('hex')}`;

/**
 * One delivery as GitHub makes it, signed with `secret`, posted straight to the gateway rather than by the stand-in:
 * the test decides when it arrives (two at the same instant), and a wrong secret makes a forged one.
 */
export async function deliver(
  gateway: RunningGateway,
  delivery: { event: string; id: string; payload: unknown; secret: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = JSON.stringify(delivery.payload);
  const response = await fetch(gateway.hookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': delivery.event,
      'x-github-delivery': delivery.id,
      'x-hub-signature-256': await new Webhooks({ secret: delivery.secret }).sign(body),
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A gateway's settings for signing in with GitHub through the stand-in: its API and web host, the OAuth app, a session secret. */
export function signInEnv(oauthApp: { clientId: string; clientSecret: string }): Record<string, string> {
  return {
    RELFORGE_GITHUB_API_URL: testStack().github.url,
    RELFORGE_GITHUB_URL: testStack().github.url,
    RELFORGE_OAUTH_CLIENT_ID: oauthApp.clientId,
    RELFORGE_OAUTH_CLIENT_SECRET_ENV: 'RELFORGE_TEST_OAUTH_SECRET',
    RELFORGE_TEST_OAUTH_SECRET: oauthApp.clientSecret,
    RELFORGE_SESSION_SECRET_ENV: 'RELFORGE_TEST_SESSION_SECRET',
    RELFORGE_TEST_SESSION_SECRET: randomBytes(16).toString('hex'),
  };
}

/** GitHub's REST API on the stand-in, as the example's token. */
export async function github<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
  const stack = testStack();
  const response = await fetch(`${stack.github.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.github.token}`,
      accept: 'application/vnd.github+json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, data: (text ? JSON.parse(text) : undefined) as T };
}

export interface HookDelivery {
  id: number;
  guid: string;
  event: string;
  action: string | null;
  redelivery: boolean;
  status_code: number;
  status: string;
}

/** A webhook on the example's source repository, for the events a release listens to. */
export async function createHook(example: ExampleProject, url: string, secret: string | undefined): Promise<number> {
  const { status, data } = await github<{ id: number }>('POST', `/repos/${example.repos.source}/hooks`, {
    config: { url, content_type: 'json', ...(secret ? { secret } : {}) },
    events: ['push', 'create', 'release'],
  });
  if (status !== 201) throw new Error(`the stand-in refused the webhook (${status})`);
  return data.id;
}

/** Every delivery the stand-in made for the hook, oldest first, once none is still being made. */
export async function deliveries(example: ExampleProject, hookId: number): Promise<HookDelivery[]> {
  await until('the stand-in to finish its deliveries', async () =>
    (await example.admin.state()).deliveries.pending === 0 ? true : undefined,
  );
  const { data } = await github<HookDelivery[]>(
    'GET',
    `/repos/${example.repos.source}/hooks/${hookId}/deliveries?per_page=100`,
  );
  return [...data].reverse();
}

/** The full record of one delivery: what was sent and what the gateway answered. */
export async function deliveryAnswer(example: ExampleProject, hookId: number, id: number): Promise<unknown> {
  const { data } = await github<{ response: { payload: string | null } }>(
    'GET',
    `/repos/${example.repos.source}/hooks/${hookId}/deliveries/${id}`,
  );
  return data.response.payload ? (JSON.parse(data.response.payload) as unknown) : undefined;
}

export async function redeliver(example: ExampleProject, hookId: number, id: number): Promise<void> {
  const { status } = await github('POST', `/repos/${example.repos.source}/hooks/${hookId}/deliveries/${id}/attempts`);
  if (status !== 202) throw new Error(`the stand-in refused to redeliver ${id} (${status})`);
}

/** A clone of the example's source repository, as a maintainer's: the token reaches git through GIT_CONFIG_* only. */
export function sourceClone(example: ExampleProject) {
  const root = createGitRoot();
  const dir = join(root.dir, 'source');
  const env = {
    ...root.env,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Bearer ${testStack().github.token}`,
  };
  const git = (args: string[], cwd = dir) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
  git(['clone', '--quiet', `${testStack().github.url}/${example.repos.source}.git`, dir], root.dir);
  return { dir, git };
}
