/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The release board in a real browser (Debian's Chromium, driven by playwright-core), on real processes: the gateway
 * and a worker each a process of its own, logging to a NATS JetStream of this suite's, on the Temporal dev server,
 * versitygw and the GitHub stand-in. One set of servers for every case: a release watched stage by stage (each change
 * on the page within a second of the stream storing its event), a release waiting for an operator with its error and
 * fix, a release awaiting approval approved by clicking Approve after signing in with GitHub (the OAuth web flow's real
 * redirects through the stand-in; the starter's click refused on the card), a prerelease train with its steps (the
 * next one shown live as it starts), the gateway restarted mid-release (the page resumes and misses nothing), and a plain WebSocket client away for 30 s that resumes from its last cursor with
 * nothing missing and nothing repeated.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page, Request } from 'playwright-core';
import WebSocket from 'ws';
import {
  abortSignal,
  nextUpdate,
  releaseWorkflowId,
  statusQuery,
  trainStatusQuery,
  trainWorkflowId,
  type ReleaseStatus,
  type TrainInput,
  type TrainStatus,
} from '@relforge/release';
import type { train as trainWorkflow } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { parseEventType, replay, type ReleaseCloudEvent } from '@relforge/release-events';
import { AuditLog } from '@relforge/audit';
import { JetStreamEventLog, type ReleaseKey } from '@relforge/release-events/jetstream';
import { startRelease } from '@relforge/release-start';
import { workspaceRoot } from '@relforge/local-servers';
import {
  createExampleProject,
  startTestNats,
  stopGracefully,
  suiteClient,
  testStack,
  until,
  workerProcess,
  type ExampleProject,
  type TestNats,
} from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { newSecret, signInEnv, startGateway, type RunningGateway } from './gateway-process.js';

const client = suiteClient();
let nats: TestNats;
let browser: Browser;
let log: JetStreamEventLog;
// Per test: the example project lives as long as its test, and so do the worker and the gateway that serve it.
let example: ExampleProject;
let worker: ChildProcess | undefined;
let gateway: RunningGateway | undefined;
let page: Page;
const secret = newSecret();

const gatewayEnv = () => ({ RELFORGE_NATS_URL: nats.url, RELFORGE_TEMPORAL_UI_URL: testStack().temporal.uiUrl });

/** What the page's WebSocket(s) received, every frame in order, across reconnects. */
let frames: { type: string; cursor?: number; event?: ReleaseCloudEvent }[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  log = await JetStreamEventLog.connect(nats.url, { name: 'relforge-board-test' });
  browser = await launchChromium();
});

afterEach(async () => {
  await page?.close();
  await gateway?.stop();
  gateway = undefined;
  if (worker) await stopGracefully(worker);
  worker = undefined;
});

afterAll(async () => {
  await browser?.close();
  await log?.close();
  await nats?.teardown();
});

/** The example project, a worker and a gateway logging to and reading the suite's NATS, and the board open on it. */
async function boardOnServers(
  options: { prepare?: (example: ExampleProject) => Promise<void>; env?: Record<string, string> } = {},
): Promise<RunningGateway> {
  example = await createExampleProject();
  await options.prepare?.(example);
  worker = workerProcess(example, { main: workerMain, env: { RELFORGE_NATS_URL: nats.url } });
  const started = await startGateway(example, { secret, env: { ...gatewayEnv(), ...options.env } });
  gateway = started;
  frames = [];
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => frames.push(JSON.parse(String(payload)) as (typeof frames)[number])),
  );
  // Each change of a stage's or a release's state on the page, with the time the DOM showed it.
  await page.addInitScript(() => {
    const seen: { release: string; stage?: string; state: string; at: number }[] = [];
    const last = new Map<string, string>();
    Object.assign(window, { relforgeSeen: seen });
    new MutationObserver(() => {
      const at = Date.now();
      for (const card of document.querySelectorAll<HTMLElement>('[data-release]')) {
        const release = card.dataset['release'] ?? '';
        const entries: [string | undefined, string][] = [[undefined, card.dataset['state'] ?? '']];
        for (const stage of card.querySelectorAll<HTMLElement>('[data-stage]'))
          entries.push([stage.dataset['stage'], stage.dataset['state'] ?? '']);
        for (const [stage, state] of entries) {
          const key = `${release} ${stage ?? ''}`;
          if (last.get(key) === state) continue;
          last.set(key, state);
          seen.push({ release, ...(stage ? { stage } : {}), state, at });
        }
      }
    }).observe(document, { subtree: true, childList: true, attributes: true });
  });
  await page.goto(`${started.url}/`);
  await page.waitForSelector('[data-testid=connection][data-state=live]');
  return started;
}

const key = (version: string): ReleaseKey => ({
  namespace: testStack().temporal.namespace,
  project: example.project,
  version,
});

/** Every event of the release as the stream stored it, with the time it was stored. */
async function storedEvents(version: string) {
  const last = await log.lastEvent(key(version));
  const stop = new AbortController();
  const events: { event: ReleaseCloudEvent; storedAt: number }[] = [];
  for await (const stored of log.follow(key(version).namespace, {
    from: 1,
    release: key(version),
    signal: stop.signal,
  })) {
    events.push({ event: stored.event, storedAt: stored.storedAt });
    if (stored.streamSequence >= (last?.streamSequence ?? 0)) break;
  }
  stop.abort();
  return events;
}

const card = (version: string) => `[data-release="${example.project}/${version}"]`;

async function shownAs(version: string, state: string, timeout = 180_000): Promise<void> {
  await page.waitForSelector(`${card(version)}[data-state="${state}"]`, { timeout });
}

/**
 * How far along a stage or a release is, so a state the page skipped (two events delivered in one batch and drawn in
 * one frame) counts as shown when a later one is.
 */
const rank: Record<string, number> = {
  pending: 0,
  queued: 0,
  preparing: 1,
  running: 2,
  waiting: 3,
  succeeded: 4,
  failed: 4,
  cancelled: 4,
};

async function seenOnPage(version: string) {
  const seen = await page.evaluate(
    () =>
      (window as unknown as { relforgeSeen: { release: string; stage?: string; state: string; at: number }[] })
        .relforgeSeen,
  );
  return seen.filter((entry) => entry.release === `${example.project}/${version}`);
}

/** The page's release card as data: each stage's state, each artifact's file, state and digest. */
async function pageState(version: string) {
  return page.$eval(card(version), (element) => ({
    state: (element as HTMLElement).dataset['state'],
    sequence: Number((element as HTMLElement).dataset['sequence']),
    stages: [...element.querySelectorAll<HTMLElement>('[data-stage]')].map((stage) => [
      stage.dataset['stage'],
      stage.dataset['state'],
    ]),
    artifacts: [...element.querySelectorAll<HTMLElement>('[data-testid=artifact]')]
      .map((row) => [row.dataset['file'], row.dataset['state'], row.querySelector('code')?.textContent])
      .sort(),
  }));
}

function expectedPageState(status: ReleaseStatus, sequence: number) {
  return {
    state: status.state,
    sequence,
    stages: status.stages.map((stage) => [stage.name, stage.state]),
    artifacts: status.artifacts.map((artifact) => [artifact.file, artifact.state, `sha256:${artifact.sha256}`]).sort(),
  };
}

/** The per-release sequence numbers of the events the page's WebSockets delivered for the release. */
function deliveredToPage(version: string): number[] {
  const source = `release/${example.project}/${version}`;
  return frames.filter((frame) => frame.event?.source === source).map((frame) => frame.event?.data.sequence ?? 0);
}

const latencies: { release: string; event: string; fromStored: number; fromEventTime: number }[] = [];

describe('the release board', () => {
  it('shows a release stage by stage, each change within a second of its event being stored', async () => {
    const version = '2.0.0';
    await boardOnServers();
    await startRelease(client(), { project: example.project, version });
    await shownAs(version, 'succeeded');
    const stored = await storedEvents(version);
    const seen = await seenOnPage(version);
    const final = replay<ReleaseStatus>(stored.map(({ event }) => event.data));
    expect(final.value?.state).toBe('succeeded');

    for (const { event, storedAt } of stored) {
      const named = parseEventType(event.type);
      if (named?.entity !== 'stage' && named?.entity !== 'release') continue;
      const stage = named.entity === 'stage' ? event.subject : undefined;
      const shown = seen.find(
        (entry) => entry.stage === stage && (rank[entry.state] ?? -1) >= (rank[named.state] ?? Infinity),
      );
      expect(
        shown,
        `${event.subject ?? 'release'} ${named.state} (event ${event.data.sequence}) on the page`,
      ).toBeDefined();
      const fromStored = (shown?.at ?? Infinity) - storedAt;
      latencies.push({
        release: version,
        event: `${named.entity}${event.subject ? ` ${event.subject}` : ''} ${named.state}`,
        fromStored,
        fromEventTime: (shown?.at ?? Infinity) - Date.parse(event.time),
      });
      expect(fromStored, `${event.subject ?? 'release'} ${named.state}: ms from stored to shown`).toBeLessThanOrEqual(
        1_000,
      );
    }
    // Stage by stage: each stage was seen running before it was seen done, in the plan's order.
    const stages = final.value?.stages.map((stage) => stage.name) ?? [];
    const doneAt = stages.map(
      (stage) => seen.find((entry) => entry.stage === stage && entry.state === 'succeeded')?.at,
    );
    expect(doneAt.every((at) => at !== undefined)).toBe(true);
    expect([...doneAt].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(doneAt);
    for (const stage of ['build', 'publish']) {
      expect(seen.some((entry) => entry.stage === stage && entry.state === 'running')).toBe(true);
    }
    // The page ends as the log ends: every stage, every artifact with its digest, at the last sequence.
    expect(await pageState(version)).toEqual(expectedPageState(final.value as ReleaseStatus, final.sequence));
    expect(deliveredToPage(version)).toEqual(stored.map(({ event }) => event.data.sequence));
    const link = await page.$eval(`${card(version)} a.ui`, (anchor) => (anchor as HTMLAnchorElement).href);
    expect(link).toContain(`${testStack().temporal.uiUrl}/namespaces/${testStack().temporal.namespace}/workflows/`);
    console.log(
      `board latency, stored → shown (ms): ${latencies.map((entry) => `${entry.event} ${Math.round(entry.fromStored)}`).join(', ')}`,
    );
  });

  it('shows a release waiting for an operator with its error and its fix', async () => {
    const version = '2.1.0';
    await boardOnServers();
    await example.admin.addFault({
      match: { method: 'GET', path: `/repos/${example.repos.source}/releases` },
      count: 1000,
      status: 401,
    });
    const { handle } = await startRelease(client(), { project: example.project, version });
    await shownAs(version, 'waiting');
    expect(await page.locator(`[data-testid=waiting] ${card(version)}`).count()).toBe(1);
    const error = await page.textContent(`${card(version)} [data-testid=error]`);
    expect(error).toContain('publish failed: ');
    expect(error).toContain('the forge refused the credentials');
    const fix = await page.textContent(`${card(version)} [data-testid=fix]`);
    expect(fix).toContain('RELFORGE_GITHUB_TOKEN');
    expect(await page.textContent(`${card(version)} .then`)).toContain(`relforge resume ${example.project} ${version}`);
    expect(await page.getAttribute(`${card(version)} [data-stage=publish]`, 'data-state'), 'the stage that waits').toBe(
      'waiting',
    );
    // The screenshot in the README: a release done and one waiting for a person.
    const docs = join(workspaceRoot(), 'docs');
    mkdirSync(docs, { recursive: true });
    await page.screenshot({ path: join(docs, 'board.png'), fullPage: true });

    await example.admin.clearFaults();
    await handle.signal(abortSignal, { reason: 'the board test is done with it' });
    await shownAs(version, 'cancelled', 60_000);
    expect(await page.locator(`[data-testid=recent] ${card(version)}`).count()).toBe(1);
  });

  it('takes an approval in the browser: signed in with GitHub through the stand-in, Approve clicked, the release goes on', async () => {
    const version = '2.5.0';
    const suffix = randomBytes(3).toString('hex');
    const [approver, starter] = [`dana-${suffix}`, `erin-${suffix}`];
    const oauthApp = {
      clientId: `Iv1.board-${suffix}`,
      clientSecret: `oauth-secret-${randomBytes(8).toString('hex')}`,
    };
    const board = await boardOnServers({
      prepare: async (project) => {
        // Both may approve by the default access.approve (write); the approval rule then refuses the starter.
        for (const login of [approver, starter]) {
          await project.admin.createUser({ login });
          await project.admin.setCollaborator({ repo: project.repos.source, login, role: 'write' });
        }
        await project.admin.addOAuthApp(oauthApp);
        appendFileSync(project.configPath, `approval:\n  required: 1\n  approvers:\n    users: [${approver}]\n`);
      },
      env: {
        ...signInEnv(oauthApp),
        RELFORGE_GATEWAY_TOKEN_ENV: 'RELFORGE_TEST_GATEWAY_TOKEN',
        RELFORGE_TEST_GATEWAY_TOKEN: testStack().github.token,
      },
    });
    // Every approval any page of this test posts, with the gateway's answer.
    const posted: { login: string; status: number; body: Record<string, unknown> }[] = [];
    const watchApprovals = (watched: Page, login: string) =>
      watched.on('response', (response) => {
        if (response.request().method() !== 'POST' || !response.url().endsWith('/approve')) return;
        void response
          .json()
          .then((body: Record<string, unknown>) => posted.push({ login, status: response.status(), body }));
      });
    watchApprovals(page, approver);
    const { handle } = await startRelease(client(), {
      project: example.project,
      version,
      startedBy: { login: starter, via: 'cli' },
    });
    await shownAs(version, 'awaiting-approval');
    const digest = (await handle.query(statusQuery)).approval?.digest ?? '';
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(await page.locator(`[data-testid=waiting] ${card(version)}`).count()).toBe(1);
    expect(await page.textContent(`${card(version)} [data-testid=approval-digest]`)).toBe(digest);
    expect(await page.getAttribute(`${card(version)} [data-testid=approve]`, 'data-digest')).toBe(digest);
    expect(await page.textContent(`${card(version)} [data-testid=approval] p`)).toContain(': 0 of 1');
    // The sign-in link shows once the page knows nobody is signed in (GET /api/session answered 401).
    const signInLink = page.locator(`${card(version)} a.sign-in`);
    await signInLink.waitFor();
    expect(await signInLink.textContent()).toBe('Sign in with GitHub');
    expect(await page.textContent('[data-testid=session] [data-testid=sign-in]')).toBe('Sign in with GitHub');
    // The screenshot in the README: a release awaiting approval, its digest set and the Approve button.
    const docs = join(workspaceRoot(), 'docs');
    mkdirSync(docs, { recursive: true });
    await page.locator(card(version)).screenshot({ path: join(docs, 'board-approval.png') });

    /** Clicks the card's sign-in link and follows the real redirects back to the board; returns the URLs it went by. */
    async function signInOn(signingIn: Page, login: string): Promise<string[]> {
      await example.admin.signIn(login);
      const [landed] = await Promise.all([
        signingIn.waitForResponse(
          (response) => response.request().isNavigationRequest() && response.url() === `${board.url}/`,
        ),
        signingIn.click(`${card(version)} a.sign-in`),
      ]);
      const hops: string[] = [];
      for (let request: Request | null = landed.request(); request; request = request.redirectedFrom())
        hops.unshift(request.url());
      await signingIn.waitForSelector(`[data-testid=session]:text-is("signed in as ${login}")`);
      await signingIn.waitForSelector(`${card(version)}[data-state=awaiting-approval]`);
      expect(await signingIn.locator(`${card(version)} a.sign-in`).count()).toBe(0);
      return hops;
    }

    // The starter, signed in in a browser of their own, is refused: the page says why.
    const starterPage = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    watchApprovals(starterPage, starter);
    try {
      await starterPage.goto(`${board.url}/`);
      await signInOn(starterPage, starter);
      await starterPage.click(`${card(version)} [data-testid=approve]`);
      await starterPage.waitForSelector(`${card(version)} [data-testid=approval-answer]:has-text("refused")`);
      expect(await starterPage.textContent(`${card(version)} [data-testid=approval-answer]`)).toBe(
        `refused: approve.login: ${starter} started release ${example.project} ${version} and may not approve it (approval.allowSelfApproval is false) — fix: ask another approver`,
      );
    } finally {
      await starterPage.close();
    }
    expect((await handle.query(statusQuery)).approval?.approvals).toEqual([]);
    expect(await page.textContent(`${card(version)} [data-testid=approval] p`)).toContain(': 0 of 1');

    // The approver signs in: the board, the stand-in's authorize page, the gateway's callback, the board again.
    const hops = await signInOn(page, approver);
    expect(hops.map((url) => new URL(url)).map((url) => `${url.origin}${url.pathname}`)).toEqual([
      `${board.url}/auth/github/login`,
      `${testStack().github.url}/login/oauth/authorize`,
      `${board.url}/auth/github/callback`,
      `${board.url}/`,
    ]);
    expect(await page.textContent(`${card(version)} [data-testid=approval-digest]`)).toBe(digest);
    await page.click(`${card(version)} [data-testid=approve]`);

    // The approval stage records who approved which digest set, and the release goes on through publish.
    await page.waitForSelector(`${card(version)} [data-stage=approval][data-state=succeeded]`, { timeout: 60_000 });
    const outputs = await page.textContent(`${card(version)} [data-stage=approval] .outputs`);
    expect(outputs).toContain(`digest: ${digest}`);
    expect(outputs).toContain(`approvedBy: ${approver}`);
    await shownAs(version, 'succeeded');
    expect(await page.getAttribute(`${card(version)} [data-stage=publish]`, 'data-state')).toBe('succeeded');
    expect(await page.locator(`[data-testid=recent] ${card(version)}`).count()).toBe(1);
    expect(await page.locator(`${card(version)} [data-testid=approval]`).count()).toBe(0);

    const final = (await handle.result()) as ReleaseStatus;
    expect(final.state).toBe('succeeded');
    expect(final.stages.find((stage) => stage.name === 'publish')?.state).toBe('succeeded');
    expect(final.artifacts.every((artifact) => artifact.state === 'published')).toBe(true);
    expect(final.approval?.approvals.map((given) => [given.login, given.digest])).toEqual([[approver, digest]]);
    // Two clicks, two answers: the starter's refused, the approver's the one approval that counted.
    expect(posted.map(({ login, status }) => [login, status])).toEqual([
      [starter, 403],
      [approver, 200],
    ]);
    expect(posted[1]?.body).toMatchObject({ required: 1, digest, approved: true, approvals: [{ login: approver }] });
    // Both clicks are in the audit trail, with who signed in, how, and the rule that refused the starter.
    const audit = await AuditLog.connect(nats.url, testStack().temporal.namespace, 'relforge-board-test-audit');
    const approvals = (await audit.read({ project: example.project })).filter(
      (record) => record.operation === 'approve' && record.inputs['version'] === version,
    );
    await audit.close();
    expect(approvals.map((record) => [record.actor, record.via, record.decision, record.rule, record.status])).toEqual([
      [{ auth: 'session', login: starter }, { kind: 'board' }, 'refused', 'approval.self-approval', 403],
      [{ auth: 'session', login: approver }, { kind: 'board' }, 'accepted', 'default access.approve.minRole', 200],
    ]);
    expect(approvals.every((record) => record.inputs['digest'] === digest)).toBe(true);
    const stored = await storedEvents(version);
    const folded = replay<ReleaseStatus>(stored.map(({ event }) => event.data));
    expect(await pageState(version)).toEqual(expectedPageState(folded.value as ReleaseStatus, folded.sequence));

    // Signing out from the board: the gateway clears the cookie and sends the browser back, nobody signed in.
    const [signedOut] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${board.url}/auth/logout`),
      page.click('[data-testid=sign-out] button'),
    ]);
    expect(signedOut.status()).toBe(303);
    await page.waitForSelector('[data-testid=session] [data-testid=sign-in]');
    expect(await page.isHidden('[data-testid=sign-out]')).toBe(true);
    expect((await page.context().cookies()).map((cookie) => cookie.name)).not.toContain('relforge_session');
  }, 300_000);

  it('shows a train: its channel, each step with its dates, outcome and release, the next one live as it starts', async () => {
    const version = '3.0.0';
    const board = await boardOnServers();
    await page.evaluate(() => Object.assign(window, { relforgeSamePage: true }));
    const input: TrainInput = { project: example.project, version, channel: 'beta' };
    const handle = await client().workflow.start<typeof trainWorkflow>('train', {
      taskQueue,
      workflowId: trainWorkflowId(example.project, version),
      args: [input],
    });
    const train = `[data-train="${example.project}/${version}"]`;
    /** The card once the train is in `state` with the step shown at `outcome`: both events drawn. */
    const shownAt = (state: string, stepVersion: string, outcome: string) =>
      `${train}[data-state=${state}] [data-testid=train-step][data-version="${stepVersion}"][data-outcome=${outcome}]`;
    const trainKey: ReleaseKey = { ...key(version), kind: 'train' };
    /** The train's card as data: what a person reads on it. */
    const shownTrain = () =>
      page.$eval(train, (element) => ({
        state: (element as HTMLElement).dataset['state'],
        channel: (element as HTMLElement).dataset['channel'],
        sequence: Number((element as HTMLElement).dataset['sequence']),
        steps: [...element.querySelectorAll<HTMLElement>('[data-testid=train-step]')].map((row) => [
          row.dataset['version'],
          row.dataset['outcome'],
          row.querySelector('a')?.getAttribute('href'),
          row.querySelector('.step-dates')?.textContent,
        ]),
        final: element.querySelector('[data-testid=final]')?.textContent,
      }));
    const minute = (at: string | undefined) => (at ? `${at.slice(0, 16).replace('T', ' ')} UTC` : '');
    const datesOf = (status: TrainStatus) =>
      status.steps.map((one) => `${minute(one.startedAt)}${one.finishedAt ? ` → ${minute(one.finishedAt)}` : ''}`);

    await handle.executeUpdate(nextUpdate, { args: [{}] });
    await page.waitForSelector(shownAt('open', `${version}-beta.1`, 'released'), { timeout: 180_000 });
    const released = await handle.query(trainStatusQuery);
    const beta1 = releaseWorkflowId(example.project, `${version}-beta.1`);
    expect(await shownTrain()).toEqual({
      state: 'open',
      channel: 'beta',
      sequence: (await log.lastEvent(trainKey))?.event.data.sequence,
      steps: [[`${version}-beta.1`, 'released', `#${beta1}`, datesOf(released)[0]]],
      final: `the final may start: relforge train promote ${example.project} ${version} final`,
    });
    // The step's link is its release's card on this board.
    expect(await page.locator(`[id="${beta1}"][data-state=succeeded]`).count()).toBe(1);
    // From the board's own list too: a page opened now shows the same train.
    const listed = (await (await fetch(`${board.url}/api/trains`)).json()) as {
      trains: { workflowId: string; sequence: number; status: TrainStatus }[];
    };
    expect(listed.trains.find((one) => one.workflowId === handle.workflowId)).toMatchObject({
      status: { state: 'open', steps: [{ version: `${version}-beta.1`, outcome: 'released' }] },
    });

    // The next step, live: no reload, the row appears as the train starts its release.
    await handle.executeUpdate(nextUpdate, { args: [{}] });
    await page.waitForSelector(shownAt('running', `${version}-beta.2`, 'running'), { timeout: 30_000 });
    const running = await handle.query(trainStatusQuery);
    const stored: ReleaseCloudEvent[] = [];
    for await (const event of log.read(trainKey)) stored.push(event);
    expect(stored.map((event) => event.type)).toEqual([
      'dev.relforge.train.open.v1',
      ...['train-step.running', 'train.running', 'train-step.released', 'train.open'].map(
        (type) => `dev.relforge.${type}.v1`,
      ),
      'dev.relforge.train-step.running.v1',
      'dev.relforge.train.running.v1',
    ]);
    expect(await shownTrain()).toEqual({
      state: 'running',
      channel: 'beta',
      sequence: stored.length,
      steps: [
        [`${version}-beta.1`, 'released', `#${beta1}`, datesOf(running)[0]],
        [
          `${version}-beta.2`,
          'running',
          `#${releaseWorkflowId(example.project, `${version}-beta.2`)}`,
          datesOf(running)[1],
        ],
      ],
      final: `the final waits for ${version}-beta.2 to finish`,
    });
    expect(replay<TrainStatus>(stored.map((event) => event.data)).value).toEqual(running);
    expect(await page.evaluate(() => (window as unknown as { relforgeSamePage?: boolean }).relforgeSamePage)).toBe(
      true,
    );
    // The screenshot in the README: a train with a prerelease out and the next one running.
    const docs = join(workspaceRoot(), 'docs');
    mkdirSync(docs, { recursive: true });
    await page.screenshot({ path: join(docs, 'board-train.png'), fullPage: true });

    await client()
      .workflow.getHandle(releaseWorkflowId(example.project, `${version}-beta.2`))
      .terminate('done');
    await handle.terminate('the board test is done with it');
  }, 300_000);

  it('catches up after the gateway restarts mid-release, missing and repeating nothing, without a reload', async () => {
    const version = '2.2.0';
    const board = await boardOnServers();
    await page.evaluate(() => Object.assign(window, { relforgeSamePage: true }));
    await startRelease(client(), { project: example.project, version });
    await page.waitForSelector(`${card(version)} [data-stage=build][data-state=running]`, { timeout: 60_000 });
    await board.stop();
    gateway = undefined;
    await page.waitForSelector('[data-testid=connection][data-state=reconnecting]');
    const storedWhileDown = (await log.lastEvent(key(version)))?.event.data.sequence ?? 0;
    await until(
      'events stored while the gateway is down',
      async () =>
        ((await log.lastEvent(key(version)))?.event.data.sequence ?? 0) > storedWhileDown + 3 ? true : undefined,
      60_000,
      100,
    );
    gateway = await startGateway(example, { secret, env: gatewayEnv(), port: Number(new URL(board.url).port) });
    await shownAs(version, 'succeeded');
    await page.waitForSelector('[data-testid=connection][data-state=live]');

    expect(await page.evaluate(() => (window as unknown as { relforgeSamePage?: boolean }).relforgeSamePage)).toBe(
      true,
    );
    const stored = await storedEvents(version);
    const final = replay<ReleaseStatus>(stored.map(({ event }) => event.data));
    expect(deliveredToPage(version)).toEqual(stored.map(({ event }) => event.data.sequence));
    expect(await pageState(version)).toEqual(expectedPageState(final.value as ReleaseStatus, final.sequence));
  });
});

describe('a gateway without NATS', () => {
  it('lists the releases from Temporal, says events are off, and refuses the WebSocket (503)', async () => {
    example = await createExampleProject();
    const board = await startGateway(example, { secret });
    gateway = board;
    page = await browser.newPage();
    await page.goto(`${board.url}/`);
    await page.waitForSelector('[data-testid=connection][data-state=off]');
    expect(await page.textContent('[data-testid=notice]')).toContain(
      'release events are off: this gateway has no NATS server',
    );
    // A release no worker has taken: listed from Temporal's visibility, queued, without events; the page is redrawn
    // from the list only, so it is read after the release started.
    const { handle } = await startRelease(client(), { project: example.project, version: '2.4.0' });
    await page.reload();
    await page.waitForSelector(`${card('2.4.0')}[data-state=queued]`);
    expect(await page.textContent(`${card('2.4.0')} .no-events`)).toContain('no events for this release');
    await handle.terminate('the board test is done with it');
    const refused = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${board.url.replace('http', 'ws')}/api/events`);
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => reject(new Error('the WebSocket was upgraded without NATS')));
    });
    expect(refused).toBe(503);
  });
});

describe('the WebSocket', () => {
  /** Opens /api/events and collects its event messages until `done` says so; none is kept once it is stopped. */
  function subscribe(board: RunningGateway, query: string, done: (events: ReleaseCloudEvent[]) => boolean) {
    const socket = new WebSocket(`${board.url.replace('http', 'ws')}/api/events?${query}`);
    const events: { cursor: number; event: ReleaseCloudEvent }[] = [];
    let stopped = false;
    const finished = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; cursor: number; event: ReleaseCloudEvent };
        if (stopped || message.type !== 'event') return;
        events.push({ cursor: message.cursor, event: message.event });
        if (done(events.map((entry) => entry.event))) resolve();
      });
      socket.on('error', reject);
    });
    const stop = () => {
      stopped = true;
      socket.close();
    };
    return { stop, events, finished };
  }

  const ofRelease = (version: string) => (event: ReleaseCloudEvent) =>
    event.source === `release/${example.project}/${version}`;
  const ended = (version: string) => (events: ReleaseCloudEvent[]) =>
    events.some((event) => ofRelease(version)(event) && event.type === 'dev.relforge.release.succeeded.v1');

  it('resumes a client away for 30 s from its last cursor, nothing missing or repeated; snapshots at a sequence; bad input refused before the upgrade', async () => {
    const version = '2.3.0';
    const board = await boardOnServers();
    const answer = (await (await fetch(`${board.url}/api/releases`)).json()) as { events: { cursor: number } };
    await startRelease(client(), { project: example.project, version });
    // Away once the build runs: the rest of the release happens while it is gone.
    const first = subscribe(board, `from=${answer.events.cursor + 1}`, (events) =>
      events.some((event) => ofRelease(version)(event) && event.type === 'dev.relforge.stage.running.v1'),
    );
    await first.finished;
    first.stop();
    const lastCursor = first.events.at(-1)?.cursor ?? 0;
    const awayFrom = Date.now();
    await sleep(30_000);
    const second = subscribe(board, `from=${lastCursor + 1}`, ended(version));
    await second.finished;
    second.stop();

    const stored = await storedEvents(version);
    const received = [...first.events, ...second.events].filter((entry) => ofRelease(version)(entry.event));
    expect(received.map((entry) => entry.event.data.sequence)).toEqual(stored.map(({ event }) => event.data.sequence));
    expect(received.map((entry) => entry.event)).toEqual(stored.map(({ event }) => event));
    const cursors = [...first.events, ...second.events].map((entry) => entry.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    // The disconnection mattered: events were stored while the client was away.
    expect(stored.some(({ storedAt }) => storedAt > awayFrom && storedAt < awayFrom + 30_000)).toBe(true);

    // One release from its own sequence number: exactly the events from there.
    const one = subscribe(board, `project=${example.project}&version=${version}&from=5`, ended(version));
    await one.finished;
    one.stop();
    expect(one.events.map((entry) => entry.event.data.sequence)).toEqual(
      stored.filter(({ event }) => event.data.sequence >= 5).map(({ event }) => event.data.sequence),
    );

    // The snapshot at any sequence, as a receiver that saw a gap fetches it.
    const at = 10;
    const snapshot = (await (
      await fetch(`${board.url}/api/releases/${example.project}/${version}?at=${at}`)
    ).json()) as {
      sequence: number;
      status: ReleaseStatus;
    };
    expect(snapshot.sequence).toBe(at);
    expect(snapshot.status).toEqual(replay(stored.slice(0, at).map(({ event }) => event.data)).value);
    const refused = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const socket = new WebSocket(`${board.url.replace('http', 'ws')}/api/events?from=zero`);
      socket.on('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(body) as unknown }));
      });
      socket.on('open', () => reject(new Error('the WebSocket was upgraded despite from=zero')));
    });
    expect(refused).toEqual({
      status: 400,
      body: {
        error: 'from: expected a sequence number, 1 or more',
        fix: 'reconnect with from=<the last cursor you received + 1>',
      },
    });
    const list = (await (await fetch(`${board.url}/api/releases`)).json()) as {
      releases: { project: string; version: string; state: string; sequence?: number }[];
    };
    const listed = list.releases.find((release) => release.project === example.project && release.version === version);
    expect(listed).toMatchObject({ state: 'succeeded', sequence: stored.length });
  }, 180_000);
});
