/**
 * The stand-in's repositories are real bare git repositories: created and
 * seeded with git plumbing, read for refs, tagged on publish, and served over
 * smart HTTP by `git http-backend`, exactly as a git client expects.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CommitFacts } from './shapes.js';

const run = promisify(execFile);

/** No user or system configuration leaks in, so the stand-in behaves the same on every machine. */
function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    ...extra,
  };
}

/** A fixed identity and date: seeding the same folder gives the same commit on every run. */
const seedIdentity = {
  GIT_AUTHOR_NAME: 'Relforge Stand-in',
  GIT_AUTHOR_EMAIL: 'standin@relforge.invalid',
  GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'Relforge Stand-in',
  GIT_COMMITTER_EMAIL: 'standin@relforge.invalid',
  GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
};

async function git(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd: options.cwd,
    env: gitEnv(options.env),
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

async function gitSucceeds(args: string[], gitDir: string): Promise<boolean> {
  try {
    await git(['--git-dir', gitDir, ...args]);
    return true;
  } catch {
    return false;
  }
}

export function bareRepoPath(gitRoot: string, owner: string, name: string): string {
  return join(gitRoot, owner, `${name}.git`);
}

export function bareRepoExists(path: string): boolean {
  return existsSync(join(path, 'HEAD'));
}

export async function createBareRepo(path: string, defaultBranch: string): Promise<void> {
  mkdirSync(path, { recursive: true });
  await git(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, path]);
}

/** One commit of the folder's files on `branch`, made with plumbing and a scratch index: no work tree, no clone. */
export async function seedRepo(path: string, branch: string, seedDir: string): Promise<string> {
  const index = join(path, 'seed-index');
  const env = { ...seedIdentity, GIT_INDEX_FILE: index };
  const base = ['--git-dir', path, '--work-tree', seedDir];
  let tree: string;
  try {
    await git([...base, 'add', '--all', '.'], { cwd: seedDir, env });
    tree = await git([...base, 'write-tree'], { cwd: seedDir, env });
  } finally {
    rmSync(index, { force: true });
  }
  const commit = await git(['--git-dir', path, 'commit-tree', tree, '-m', 'Initial commit'], { env });
  await git(['--git-dir', path, 'update-ref', `refs/heads/${branch}`, commit, '']);
  await git(['--git-dir', path, 'symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
  return commit;
}

export async function defaultBranchOf(path: string): Promise<string> {
  return (await git(['--git-dir', path, 'symbolic-ref', 'HEAD'])).replace(/^refs\/heads\//, '');
}

/** The commit a ref name or sha points at, or undefined when there is none (yet). */
export async function resolveCommit(path: string, commitish: string): Promise<string | undefined> {
  try {
    return await git([
      '--git-dir',
      path,
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${commitish}^{commit}`,
    ]);
  } catch {
    return undefined;
  }
}

export async function branchCommit(path: string, branch: string): Promise<string | undefined> {
  return resolveCommit(path, `refs/heads/${branch}`);
}

export function isValidTagName(tag: string): Promise<boolean> {
  return git(['check-ref-format', `refs/tags/${tag}`]).then(
    () => true,
    () => false,
  );
}

/** A lightweight tag, as GitHub makes when a release is published; an existing tag is left where it is. */
export async function ensureTag(path: string, tag: string, commit: string): Promise<void> {
  if (await gitSucceeds(['rev-parse', '--verify', '--quiet', `refs/tags/${tag}`], path)) return;
  // The empty old value makes update-ref refuse if a concurrent push created the tag meanwhile.
  await git(['--git-dir', path, 'update-ref', `refs/tags/${tag}`, commit, '']);
}

/** Hands one smart-HTTP request to `git http-backend` (CGI) and relays its answer. */
export function serveGitHttp(
  request: IncomingMessage,
  response: ServerResponse,
  options: {
    projectRoot: string;
    pathInfo: string;
    query: string;
    /** The signed-in caller; none for an anonymous clone or fetch. */
    remoteUser?: string;
    onError: (message: string) => void;
    /** The request body, when it was read already (a held push): served even if the client is gone. */
    body?: Buffer;
  },
): Promise<void> {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const cgiEnv: NodeJS.ProcessEnv = {
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: options.pathInfo,
    QUERY_STRING: options.query,
    REQUEST_METHOD: request.method ?? 'GET',
    // http-backend enables receive-pack only for an authenticated user.
    ...(options.remoteUser === undefined ? {} : { REMOTE_USER: options.remoteUser }),
    REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
    CONTENT_TYPE: header('content-type') ?? '',
    GIT_PROTOCOL: header('git-protocol') ?? '',
    HTTP_CONTENT_ENCODING: header('content-encoding') ?? '',
    ...(header('content-length') === undefined ? {} : { CONTENT_LENGTH: header('content-length') }),
  };
  return new Promise((resolveDone) => {
    const child = spawn('git', ['http-backend'], { env: gitEnv(cgiEnv), stdio: ['pipe', 'pipe', 'pipe'] });
    let head = Buffer.alloc(0);
    let headersSent = false;
    child.stderr.on('data', (chunk: Buffer) => options.onError(chunk.toString('utf8').trimEnd()));
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
        else response.setHeader(name, value);
      }
      response.writeHead(status);
      headersSent = true;
      response.write(head.subarray(end + 4));
    });
    child.on('error', (error) => {
      options.onError(`git http-backend could not be started: ${error.message}`);
      if (!response.headersSent) response.writeHead(500);
      response.end();
      resolveDone();
    });
    child.on('close', () => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
      resolveDone();
    });
    child.stdin.on('error', () => {
      // http-backend may stop reading early (e.g. it refused the request); its answer still goes out.
    });
    if (options.body) child.stdin.end(options.body);
    else request.pipe(child.stdin);
  });
}

/** Every branch and tag with the object it points at: compared before and after a push to see what it moved. */
export async function listRefs(path: string): Promise<Map<string, string>> {
  const output = await git([
    '--git-dir',
    path,
    'for-each-ref',
    '--format=%(objectname) %(refname)',
    'refs/heads',
    'refs/tags',
  ]);
  return new Map(
    output
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [sha = '', ref = ''] = line.split(' ');
        return [ref, sha] as const;
      }),
  );
}

/** What a webhook says of a commit (an annotated tag is peeled to its commit); undefined when there is none. */
export async function commitFacts(path: string, object: string): Promise<CommitFacts | undefined> {
  const commit = await resolveCommit(path, object);
  if (!commit) return undefined;
  const fields = (
    await git(['--git-dir', path, 'show', '-s', '--format=%H%x00%T%x00%cI%x00%an%x00%ae%x00%cn%x00%ce%x00%B', commit])
  ).split('\0');
  const [
    id = commit,
    treeId = '',
    timestamp = '',
    authorName = '',
    authorEmail = '',
    committerName = '',
    committerEmail = '',
  ] = fields;
  return {
    id,
    treeId,
    timestamp,
    message: fields.slice(7).join('\0').trim(),
    author: { name: authorName, email: authorEmail },
    committer: { name: committerName, email: committerEmail },
  };
}

/** The commits a branch update brought, newest last, as many as GitHub lists (20 here). */
export async function commitsBetween(path: string, before: string | undefined, after: string): Promise<string[]> {
  const range = before ? [`${before}..${after}`] : ['--max-count=1', after];
  const output = await git(['--git-dir', path, 'rev-list', '--reverse', '--max-count=20', ...range]);
  return output.split('\n').filter(Boolean);
}
