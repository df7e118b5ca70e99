/**
 * The stand-in's HTTP server: GitHub's REST operations held to the OpenAPI
 * contract in both directions, git smart HTTP through `git http-backend`, and
 * the `/_standin/` admin API that tests use to set up, break and inspect it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { issueLines } from '@relforge/errors';
import { z } from 'zod';
import {
  createRepoInput,
  faultInput,
  standInState,
  type ContractViolation,
  type CreatedRepo,
  type Fault,
  type StandInState,
} from './admin-schema.js';
import { Authenticator, appSettings, credentialOf, type AppSettings, type Caller } from './auth.js';
import { loadContract, type ContractIssue, type RoutedOperation } from './contract.js';
import { RepoEvents, refUpdates } from './events.js';
import {
  bareRepoExists,
  bareRepoPath,
  branchCommit,
  createBareRepo,
  defaultBranchOf,
  listRefs,
  seedRepo,
  serveGitHttp,
} from './git.js';
import { githubApi, type Reply } from './github-api.js';
import { peopleAdmin } from './people.js';
import { basicError, githubTime, type Site } from './shapes.js';
import { OAuthFlow } from './oauth.js';
import { Store } from './store.js';
import { loadWebhookContract } from './webhook-contract.js';
import { Webhooks } from './webhooks.js';

export interface StandInServerOptions {
  dataDir: string;
  tokens: readonly string[];
  app?: AppSettings;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  log?: (line: string) => void;
}

export interface StandInServer {
  url: string;
  close(): Promise<void>;
}

const maxJsonBody = 5 * 1024 * 1024;
const signedUrlLifetimeMs = 5 * 60 * 1000;
const gitPath = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/;

class BadJson extends Error {}

function readJsonBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxJsonBody) chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (size > maxJsonBody) return reject(new BadJson('request body too large'));
      if (text.trim() === '') return resolveBody(undefined);
      try {
        resolveBody(JSON.parse(text));
      } catch {
        reject(new BadJson('Problems parsing JSON'));
      }
    });
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...(body === undefined
      ? {}
      : { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) }),
    ...headers,
  });
  response.end(text);
}

/** The body and headers GitHub sends with each status the fault injector can produce. */
function faultReply(fault: Extract<Fault, { status: number }>): Reply {
  const headers = { ...fault.headers };
  const primaryLimit = headers['x-ratelimit-remaining'] === '0';
  switch (fault.status) {
    case 401:
      return { status: 401, json: basicError('Bad credentials', ''), headers };
    case 403:
    case 429:
      if (primaryLimit) {
        headers['x-ratelimit-reset'] ??= String(Math.floor(Date.now() / 1000) + 1);
        return {
          status: fault.status,
          json: basicError(
            'API rate limit exceeded for user ID 1.',
            '/overview/resources-in-the-rest-api#rate-limiting',
          ),
          headers,
        };
      }
      headers['retry-after'] ??= '1';
      return {
        status: fault.status,
        json: basicError(
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          '/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        ),
        headers,
      };
    case 500:
    case 502:
      return { status: fault.status, json: basicError('Server Error', ''), headers };
  }
}

export async function startStandInServer(options: StandInServerOptions): Promise<StandInServer> {
  const log = options.log ?? (() => undefined);
  const dataDir = options.dataDir;
  const gitRoot = join(dataDir, 'git');
  mkdirSync(gitRoot, { recursive: true });
  const store = new Store(dataDir);
  const auth = new Authenticator(options.tokens, options.app ? appSettings.parse(options.app) : undefined, store);
  const contract = loadContract();
  const signingKey = randomBytes(32);
  // The port is known only once listening; everything that builds URLs reads `site.base` when it answers.
  const site: Site = { base: '' };
  const violations: ContractViolation[] = [];
  const faults: Fault[] = [];
  const requestCounts: Record<string, number> = {};
  const people = peopleAdmin(store);

  const signature = (assetId: number, expires: number) =>
    createHmac('sha256', signingKey).update(`${assetId}:${expires}`).digest('base64url');
  const webhooks = new Webhooks({
    store,
    contract: loadWebhookContract(),
    log,
    violation: (webhook, errors) => {
      violations.push({
        at: new Date().toISOString(),
        operation: `webhook ${webhook}`,
        method: 'POST',
        path: '(delivery)',
        direction: 'request',
        errors,
      });
      log(
        `contract violation in webhook ${webhook}: ${errors.map((issue) => `${issue.at} ${issue.message}`).join('; ')}`,
      );
    },
  });
  const events = new RepoEvents(site, webhooks);
  // One push at a time per repository, so the refs compared before and after belong to that push alone.
  const pushes = new Map<string, Promise<void>>();
  const oauth = new OAuthFlow(store);
  const api = {
    ...githubApi({
      webhooks,
      events,
      site,
      store,
      gitRoot,
      auth,
      signedAssetUrl: (assetId) => {
        const expires = Date.now() + signedUrlLifetimeMs;
        return `${site.base}/_standin/storage/assets/${assetId}?expires=${expires}&signature=${signature(assetId, expires)}`;
      },
    }),
  };

  function count(key: string): void {
    requestCounts[key] = (requestCounts[key] ?? 0) + 1;
  }

  const held = { now: 0, total: 0 };
  const kindOf = (fault: Fault) => ('status' in fault ? 'status' : 'omitField' in fault ? 'omitField' : 'hold');

  function takeFault(method: string, path: string, kind: 'status' | 'omitField' | 'hold'): Fault | undefined {
    const index = faults.findIndex(
      (fault) =>
        kindOf(fault) === kind &&
        (!fault.match.method || fault.match.method === method) &&
        (!fault.match.path || new RegExp(fault.match.path).test(path)),
    );
    const fault = faults[index];
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) faults.splice(index, 1);
    return fault;
  }

  async function holdIfAsked(method: string, path: string, before?: () => Promise<void>): Promise<void> {
    const fault = takeFault(method, path, 'hold');
    if (!fault || !('holdMs' in fault)) return;
    await before?.();
    held.now += 1;
    held.total += 1;
    log(`holding ${method} ${path} for ${fault.holdMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, fault.holdMs));
    held.now -= 1;
  }

  function recordViolation(
    routed: RoutedOperation,
    method: string,
    path: string,
    direction: 'request' | 'response',
    errors: ContractIssue[],
    status?: number,
  ): void {
    violations.push({
      at: new Date().toISOString(),
      operation: routed.operation.id,
      method,
      path,
      direction,
      errors,
      ...(status === undefined ? {} : { status }),
    });
    log(
      `contract violation (${direction}) in ${routed.operation.id}: ${errors.map((issue) => `${issue.at} ${issue.message}`).join('; ')}`,
    );
  }

  /** Every API answer passes the contract check; one that fails is replaced by a 500 that names the problem. */
  function sendApiReply(
    response: ServerResponse,
    routed: RoutedOperation,
    method: string,
    path: string,
    reply: Reply,
  ): void {
    let body = reply.json;
    const broken = takeFault(method, path, 'omitField');
    if (broken && 'omitField' in broken && body && typeof body === 'object' && !Array.isArray(body)) {
      body = Object.fromEntries(Object.entries(body).filter(([key]) => key !== broken.omitField));
    }
    const issues = contract.checkResponse(routed.operation, reply.status, body);
    if (issues.length > 0) {
      recordViolation(routed, method, path, 'response', issues, reply.status);
      const summary = issues
        .slice(0, 5)
        .map((issue) => `${issue.at} ${issue.message}`)
        .join('; ');
      sendJson(response, 500, {
        message: `relforge stand-in: contract violation: ${routed.operation.id} ${reply.status} response: ${summary}`,
      });
      return;
    }
    const reset = Math.floor(Date.now() / 1000) + 3600;
    sendJson(response, reply.status, body, {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-used': '1',
      'x-ratelimit-reset': String(reset),
      'x-ratelimit-resource': 'core',
      ...reply.headers,
    });
  }

  async function handleApi(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    routed: RoutedOperation,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    const path = url.pathname;
    count(`${method} ${routed.operation.id}`);
    const fault = takeFault(method, path, 'status');
    if (fault && 'status' in fault) {
      request.resume();
      return sendApiReply(response, routed, method, path, faultReply(fault));
    }
    const credential = credentialOf(request.headers);
    let caller: Caller | undefined;
    if (routed.operation.id === 'apps/create-installation-access-token') {
      const problem = auth.jwtProblem(credential);
      if (problem) {
        request.resume();
        return sendApiReply(response, routed, method, path, {
          status: 401,
          json: basicError(problem, '/apps/building-github-apps/authenticating-with-github-apps'),
        });
      }
    } else {
      caller = auth.callerFor(credential) ?? oauth.callerFor(credential);
      if (!caller) {
        request.resume();
        return sendApiReply(response, routed, method, path, { status: 401, json: basicError('Bad credentials', '') });
      }
    }
    const isUpload = routed.operation.id === 'repos/upload-release-asset';
    let body: unknown;
    if (!isUpload) {
      try {
        body = await readJsonBody(request);
      } catch (error) {
        if (!(error instanceof BadJson)) throw error;
        recordViolation(routed, method, path, 'request', [{ at: 'body', message: error.message }]);
        return sendApiReply(response, routed, method, path, { status: 400, json: basicError(error.message, '') });
      }
    }
    const query = Object.fromEntries(url.searchParams.entries());
    const issues = contract.checkRequest(routed.operation, { params: routed.params, query, body });
    if (issues.length > 0) {
      if (isUpload) request.resume();
      recordViolation(routed, method, path, 'request', issues);
      const detail = issues.map((issue) => `For '${issue.at}', ${issue.message}.`).join('\n');
      return sendApiReply(response, routed, method, path, {
        status: 422,
        json: basicError(`Invalid request.\n\n${detail}`, ''),
      });
    }
    await holdIfAsked(method, path);
    const reply = await api[routed.operation.id]({ params: routed.params, query, body, caller, raw: request });
    sendApiReply(response, routed, method, path, reply);
  }

  async function handleGit(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    match: RegExpExecArray,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    count(`${method} git`);
    const fault = takeFault(method, url.pathname, 'status');
    if (fault && 'status' in fault) {
      request.resume();
      const reply = faultReply(fault);
      return sendJson(response, reply.status, reply.json, reply.headers);
    }
    const credential = credentialOf(request.headers);
    const caller = auth.callerFor(credential) ?? oauth.callerFor(credential);
    const [, owner = '', name = '', rest = ''] = match;
    // Every repository here is public, as the example's are on GitHub: anyone may clone or fetch without signing in;
    // a push needs a caller, and a wrong credential is refused whatever it is for.
    const fetching =
      rest === '/git-upload-pack' || (rest === '/info/refs' && url.searchParams.get('service') === 'git-upload-pack');
    if (!caller && (credential !== undefined || !fetching)) {
      request.resume();
      // git asks for credentials only after a 401 that names the Basic scheme.
      return sendJson(response, 401, basicError('Bad credentials', ''), { 'www-authenticate': 'Basic realm="GitHub"' });
    }
    // A held push is read whole first, so it lands when the hold ends even if its client has gone.
    let body: Buffer | undefined;
    await holdIfAsked(method, url.pathname, async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      body = Buffer.concat(chunks);
    });
    if (!store.data.repos[`${owner}/${name}`] || !bareRepoExists(bareRepoPath(gitRoot, owner, name))) {
      request.resume();
      return sendJson(response, 404, basicError('Repository not found.', ''));
    }
    const serve = () =>
      serveGitHttp(request, response, {
        projectRoot: gitRoot,
        pathInfo: `/${owner}/${name}.git${rest}`,
        query: url.search.replace(/^\?/, ''),
        ...(caller ? { remoteUser: caller.login } : {}),
        onError: (message) => log(`git http-backend: ${message}`),
        ...(body ? { body } : {}),
      });
    if (method !== 'POST' || rest !== '/git-receive-pack' || !caller) return serve();
    const key = `${owner}/${name}`;
    const path = bareRepoPath(gitRoot, owner, name);
    const previous = pushes.get(key) ?? Promise.resolve();
    const push = previous.then(async () => {
      const before = await listRefs(path);
      await serve();
      const updates = refUpdates(before, await listRefs(path));
      const known = store.data.repos[key];
      if (updates.length > 0 && known) {
        await events.refsMoved({ ...known, path, defaultBranch: await defaultBranchOf(path) }, updates, caller.login);
      }
    });
    const settled = push.catch(() => undefined);
    pushes.set(key, settled);
    await webhooks.track(push).finally(() => {
      if (pushes.get(key) === settled) pushes.delete(key);
    });
  }

  async function createRepo(body: unknown): Promise<CreatedRepo> {
    const input = createRepoInput.parse(body);
    const path = bareRepoPath(gitRoot, input.owner, input.name);
    const key = `${input.owner}/${input.name}`;
    const created = !bareRepoExists(path);
    if (created) {
      if (input.seedDir !== undefined && !existsSync(input.seedDir))
        throw new z.ZodError([
          { code: 'custom', path: ['seedDir'], message: `${input.seedDir} does not exist`, input: input.seedDir },
        ]);
      await createBareRepo(path, input.defaultBranch);
      if (input.seedDir !== undefined) await seedRepo(path, input.defaultBranch, input.seedDir);
    }
    if (!store.data.repos[key]) {
      store.data.repos[key] = { id: store.newId(), owner: input.owner, name: input.name, createdAt: githubTime() };
      store.save();
    }
    const defaultBranch = await defaultBranchOf(path);
    const head = await branchCommit(path, defaultBranch);
    return {
      owner: input.owner,
      name: input.name,
      defaultBranch,
      created,
      ...(head ? { head } : {}),
      cloneUrl: `${site.base}/${key}.git`,
    };
  }

  async function stateSnapshot(): Promise<StandInState> {
    const repos: StandInState['repos'] = {};
    for (const [key, repo] of Object.entries(store.data.repos)) {
      const path = bareRepoPath(gitRoot, repo.owner, repo.name);
      repos[key] = {
        defaultBranch: bareRepoExists(path) ? await defaultBranchOf(path) : '',
        releases: store.data.releases
          .filter((stored) => stored.repo === key)
          .map((stored) => ({
            id: stored.id,
            tag: stored.tagName,
            name: stored.name,
            draft: stored.draft,
            prerelease: stored.prerelease,
            targetCommitish: stored.targetCommitish,
            assets: store.data.assets
              .filter((asset) => asset.releaseId === stored.id)
              .map((asset) => ({
                id: asset.id,
                name: asset.name,
                size: asset.size,
                sha256: asset.sha256,
                contentType: asset.contentType,
                uploads: store.data.uploads[`${stored.id}/${asset.name}`] ?? 1,
              })),
          })),
        pulls: store.data.pulls
          .filter((pull) => pull.repo === key)
          .map((pull) => ({
            number: pull.number,
            state: pull.state,
            head: pull.head,
            base: pull.base,
            title: pull.title,
          })),
      };
    }
    return standInState.parse({
      repos,
      requests: { ...requestCounts },
      rejectedUploads: [...store.data.rejectedUploads],
      faultsPending: faults.reduce((sum, fault) => sum + fault.count, 0),
      deliveries: {
        pending: webhooks.pending,
        sent: store.data.deliveries.length,
      },
      held: { ...held },
      violations: violations.length,
    });
  }

  function serveSignedAsset(response: ServerResponse, url: URL, assetId: number): void {
    const expires = Number(url.searchParams.get('expires'));
    const given = Buffer.from(url.searchParams.get('signature') ?? '');
    const expected = Buffer.from(signature(assetId, expires));
    const asset = store.data.assets.find((candidate) => candidate.id === assetId);
    if (!asset || expires < Date.now() || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return sendJson(response, 403, { message: 'Request has expired or its signature does not match' });
    }
    response.writeHead(200, {
      'content-type': asset.contentType,
      'content-length': String(asset.size),
      'content-disposition': `attachment; filename=${JSON.stringify(asset.name)}`,
    });
    createReadStream(store.assetFile(asset.id)).pipe(response);
  }

  async function handleAdmin(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const route = `${method} ${url.pathname}`;
    const storage = /^\/_standin\/storage\/assets\/(\d+)$/.exec(url.pathname);
    if (method === 'GET' && storage) return serveSignedAsset(response, url, Number(storage[1]));
    try {
      switch (route) {
        case 'POST /_standin/repos':
          return sendJson(response, 201, await createRepo(await readJsonBody(request)));
        case 'GET /_standin/state':
          return sendJson(response, 200, await stateSnapshot());
        case 'GET /_standin/violations':
          return sendJson(response, 200, violations);
        case 'POST /_standin/faults': {
          const fault = faultInput.parse(await readJsonBody(request));
          faults.push(fault);
          return sendJson(response, 201, { pending: faults.length });
        }
        case 'POST /_standin/oauth/apps':
          return sendJson(response, 201, oauth.addOAuthApp(await readJsonBody(request)));
        case 'POST /_standin/oauth/sign-in':
          return sendJson(response, 200, oauth.signIn(await readJsonBody(request)));
        case 'DELETE /_standin/faults':
          faults.splice(0, faults.length);
          return sendJson(response, 204, undefined);
        case 'POST /_standin/users':
          return sendJson(response, 201, people.createUser(await readJsonBody(request)));
        case 'PUT /_standin/collaborators':
          people.setCollaborator(await readJsonBody(request));
          return sendJson(response, 204, undefined);
        case 'PUT /_standin/teams':
          people.createTeam(await readJsonBody(request));
          return sendJson(response, 204, undefined);
        default:
          return sendJson(response, 404, { message: `no admin route ${route}` });
      }
    } catch (error) {
      if (error instanceof z.ZodError)
        return sendJson(response, 400, { message: issueLines(error.issues, '(body)').join('\n') });
      if (error instanceof BadJson || error instanceof SyntaxError)
        return sendJson(response, 400, { message: error.message });
      throw error;
    }
  }

  /** GitHub takes the exchange as a form or as JSON, and answers JSON only to a client that accepts it. */
  async function exchangeCode(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let form: Record<string, string>;
    if ((request.headers['content-type'] ?? '').includes('json')) {
      try {
        form = z.record(z.string(), z.string()).parse(JSON.parse(text || '{}'));
      } catch {
        return sendJson(response, 400, { message: 'Problems parsing JSON' });
      }
    } else form = Object.fromEntries(new URLSearchParams(text));
    const reply = oauth.accessToken(form, (request.headers.accept ?? '').includes('application/json'));
    if (typeof reply.json === 'string') {
      response.writeHead(reply.status, reply.headers);
      return void response.end(reply.json);
    }
    return sendJson(response, reply.status, reply.json, reply.headers);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', site.base);
    const method = request.method ?? 'GET';
    if (url.pathname.startsWith('/_standin/')) return handleAdmin(request, response, url);
    if (url.pathname === '/login/oauth/authorize' && method === 'GET') {
      request.resume();
      const reply = oauth.authorize(url);
      return sendJson(response, reply.status, reply.json, reply.headers);
    }
    if (url.pathname === '/login/oauth/access_token' && method === 'POST') return exchangeCode(request, response);
    const gitMatch = gitPath.exec(url.pathname);
    if (gitMatch) return handleGit(request, response, url, gitMatch);
    const routed = contract.route(method, url.pathname);
    if (routed) return handleApi(request, response, url, routed);
    count(`${method} unrouted`);
    request.resume();
    sendJson(response, 404, basicError('Not Found', ''));
  }

  const server = createServer((request, response) => {
    const started = Date.now();
    response.on('finish', () =>
      log(`${request.method} ${request.url?.split('?')[0]} ${response.statusCode} ${Date.now() - started}ms`),
    );
    handle(request, response).catch((error: unknown) => {
      log(
        `internal error on ${request.method} ${request.url?.split('?')[0]}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!response.headersSent) sendJson(response, 500, { message: 'relforge stand-in: internal error; see its log' });
      else response.end();
    });
  });
  // Keep-alive sockets from clients would otherwise hold close() open until they time out.
  server.keepAliveTimeout = 2_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  site.base = `http://${host}:${port}`;
  return {
    url: site.base,
    close: async () => {
      // Deliveries under way are made before the process goes (each within its 10 s timeout), as GitHub makes them.
      await webhooks.settled();
      return new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeIdleConnections();
      });
    },
  };
}
