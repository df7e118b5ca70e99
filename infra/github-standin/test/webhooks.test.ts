import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhooks } from '@octokit/webhooks';
import type { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStandIn } from '../src/index.js';
import { loadWebhookContract, type SentWebhook } from '../src/webhook-contract.js';
import { gitClient, octokitFor, scratch, seedFolder, startStandIn, type Scratch } from './helpers.js';

const owner = 'acme';
const repo = 'widget';
const secret = 'a-webhook-secret-for-tests';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback that records what it is sent and answers with the status it is told to. */
class Receiver {
  readonly received: Received[] = [];
  status = 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(this.status, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/hook`;
  }

  events(event: string): Received[] {
    return this.received.filter((each) => each.headers['x-github-event'] === event);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

let space: Scratch;
let standIn: RunningStandIn;
let octokit: Octokit;
const receiver = new Receiver();
const contract = loadWebhookContract();

beforeAll(async () => {
  space = scratch();
  standIn = await startStandIn(space);
  octokit = octokitFor(standIn, space.token);
  await standIn.admin.createRepo({ owner, name: repo, seedDir: seedFolder(space) });
  await receiver.start();
});

afterAll(async () => {
  await standIn?.stop();
  await receiver.stop();
  if (process.env['KEEP']) console.log(space.dir);
  else space?.remove();
});

async function settled(): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if ((await standIn.admin.state()).deliveries.pending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('webhook deliveries were still pending after 5 s');
}

const payloadOf = (received: Received) => JSON.parse(received.body) as Record<string, unknown>;

describe('webhooks', () => {
  let hookId = 0;

  it('registers a hook through the REST API, masks its secret, and pings it signed with that secret', async () => {
    const { data: hook, status } = await octokit.rest.repos.createWebhook({
      owner,
      repo,
      config: { url: receiver.url, content_type: 'json', secret },
      events: ['push', 'create', 'release'],
    });
    hookId = hook.id;
    expect(status).toBe(201);
    expect(hook.config).toMatchObject({ url: receiver.url, content_type: 'json', secret: '********' });
    expect(hook.events).toEqual(['push', 'create', 'release']);
    await settled();
    const [ping] = receiver.events('ping');
    expect(ping?.headers['user-agent']).toMatch(/^GitHub-Hookshot\/[0-9a-f]+$/);
    expect(ping?.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(ping?.headers['x-github-hook-id']).toBe(String(hook.id));
    expect(ping?.headers['x-github-hook-installation-target-type']).toBe('repository');
    const signature = String(ping?.headers['x-hub-signature-256']);
    expect(await new Webhooks({ secret }).verify(ping?.body ?? '', signature)).toBe(true);
    expect(await new Webhooks({ secret: 'another secret' }).verify(ping?.body ?? '', signature)).toBe(false);
    expect(payloadOf(ping as Received)).toMatchObject({
      hook_id: hook.id,
      repository: { full_name: `${owner}/${repo}` },
    });

    const again = await octokit.rest.repos
      .createWebhook({ owner, repo, config: { url: receiver.url, content_type: 'json' } })
      .catch((error: { status: number; response: { data: { errors: { message: string }[] } } }) => error);
    expect('status' in again && again.status).toBe(422);
  });

  it('sends push and create when a tag is pushed to the git remote, and push with the commits for a branch', async () => {
    const git = gitClient(space);
    const clone = join(space.dir, 'clone');
    git(['clone', '--quiet', `${standIn.url}/${owner}/${repo}.git`, clone]);
    git(['tag', '-a', 'v1.5.0', '-m', 'release 1.5.0'], clone);
    git(['push', '--quiet', 'origin', 'v1.5.0'], clone);
    await settled();
    const head = git(['rev-parse', 'HEAD'], clone);
    const [push] = receiver.events('push');
    expect(payloadOf(push as Received)).toMatchObject({
      ref: 'refs/tags/v1.5.0',
      before: '0'.repeat(40),
      after: git(['rev-parse', 'v1.5.0'], clone),
      created: true,
      deleted: false,
      commits: [],
      head_commit: { id: head, message: 'Initial commit' },
      pusher: { name: 'relforge-bot' },
    });
    expect(payloadOf(receiver.events('create')[0] as Received)).toMatchObject({ ref: 'v1.5.0', ref_type: 'tag' });

    git(['commit', '--quiet', '--allow-empty', '-m', 'second'], clone);
    git(['push', '--quiet', 'origin', 'main'], clone);
    await settled();
    const branch = payloadOf(receiver.events('push')[1] as Received);
    expect(branch).toMatchObject({ ref: 'refs/heads/main', before: head, created: false });
    expect((branch['commits'] as { message: string }[]).map((commit) => commit.message)).toEqual(['second']);
  });

  it('sends release published when a release is published through the API, and push and create for its new tag', async () => {
    const before = receiver.received.length;
    const { data: draft } = await octokit.rest.repos.createRelease({ owner, repo, tag_name: 'v1.6.0', draft: true });
    await settled();
    expect(receiver.received.length).toBe(before);
    await octokit.rest.repos.updateRelease({ owner, repo, release_id: draft.id, draft: false });
    await settled();
    const sent = receiver.received.slice(before);
    expect(sent.map((each) => each.headers['x-github-event'])).toEqual(['create', 'push', 'release']);
    expect(payloadOf(sent[2] as Received)).toMatchObject({
      action: 'published',
      release: { id: draft.id, tag_name: 'v1.6.0', draft: false },
    });
  });

  it('sends only payloads that GitHub’s published webhook schemas accept, and that check can fail', async () => {
    const named: Record<string, SentWebhook> = { ping: 'ping', push: 'push', create: 'create' };
    for (const received of receiver.received) {
      const event = String(received.headers['x-github-event']);
      const webhook = named[event] ?? 'release-published';
      expect(contract.check(webhook, payloadOf(received)), `${event} ${received.headers['x-github-delivery']}`).toEqual(
        [],
      );
    }
    expect(receiver.received.length).toBeGreaterThanOrEqual(7);
    const push = payloadOf(receiver.events('push')[0] as Received);
    delete push['pusher'];
    expect(contract.check('push', push).map((issue) => issue.message)).toContain(
      "must have required property 'pusher'",
    );
    expect(await standIn.admin.violations()).toEqual([]);
  });

  it('lists deliveries with the answer each got, and redelivers one by id with the same GUID', async () => {
    receiver.status = 401;
    const git = gitClient(space);
    const clone = join(space.dir, 'clone');
    git(['tag', 'v1.7.0'], clone);
    git(['push', '--quiet', 'origin', 'v1.7.0'], clone);
    await settled();
    const { data: deliveries } = await octokit.rest.repos.listWebhookDeliveries({ owner, repo, hook_id: hookId });
    const refused = deliveries.find((delivery) => delivery.event === 'push');
    expect(refused).toMatchObject({ status_code: 401, status: 'Invalid HTTP Response: 401', redelivery: false });

    receiver.status = 202;
    const { status } = await octokit.rest.repos.redeliverWebhookDelivery({
      owner,
      repo,
      hook_id: hookId,
      delivery_id: refused?.id ?? 0,
    });
    expect(status).toBe(202);
    await settled();
    const { data: after } = await octokit.rest.repos.listWebhookDeliveries({ owner, repo, hook_id: hookId });
    const redelivered = after.find((delivery) => delivery.redelivery);
    expect(redelivered).toMatchObject({ guid: refused?.guid, status_code: 202, event: 'push' });
    const { data: full } = await octokit.rest.repos.getWebhookDelivery({
      owner,
      repo,
      hook_id: hookId,
      delivery_id: redelivered?.id ?? 0,
    });
    expect(full.request.payload).toMatchObject({ ref: 'refs/tags/v1.7.0' });
    const last = receiver.received.at(-1);
    expect(last?.headers['x-github-delivery']).toBe(refused?.guid);
    expect(await new Webhooks({ secret }).verify(last?.body ?? '', String(last?.headers['x-hub-signature-256']))).toBe(
      true,
    );
    expect(await standIn.admin.violations()).toEqual([]);
  });

  it('sends form-encoded, unsigned deliveries to a hook made that way, as GitHub does by default', async () => {
    const { data: hook } = await octokit.rest.repos.createWebhook({
      owner,
      repo,
      config: { url: `${receiver.url}?form` },
    });
    await settled();
    expect(hook.events).toEqual(['push']);
    const ping = receiver.received.at(-1);
    expect(ping?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(ping?.headers['x-hub-signature-256']).toBeUndefined();
    expect(JSON.parse(decodeURIComponent((ping?.body ?? '').replace(/^payload=/, '')))).toMatchObject({
      hook_id: hook.id,
    });
    await octokit.rest.repos.updateWebhook({ owner, repo, hook_id: hook.id, active: false });
    expect(await standIn.admin.violations()).toEqual([]);
  });
});
