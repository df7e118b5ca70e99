/**
 * Real git, run as a child process. A credential travels only as an
 * `http.extraHeader` set through GIT_CONFIG_* variables: never in argv (which
 * `ps` shows), never in a remote URL (which .git/config would keep), and it is
 * scrubbed from any message git prints.
 */
import { execFile } from 'node:child_process';
import { RelforgeError } from '@relforge/errors';

export interface GitRemote {
  url: string;
  /** e.g. "Authorization: Basic …"; absent for local paths and file:// remotes. */
  authHeader?: string;
}

export interface GitIdentity {
  name: string;
  email: string;
}

export class GitError extends RelforgeError {
  readonly exitCode: number | undefined;
  /** What git printed (stdout then stderr: `push --porcelain` reports rejections on stdout). */
  readonly output: string;

  constructor(message: string, options: { fix: string; exitCode?: number; output: string }) {
    super(message, { fix: options.fix });
    this.exitCode = options.exitCode;
    this.output = options.output;
  }

  /** The remote refused a push because it moved on since we fetched: fetch and try again. */
  get isStalePush(): boolean {
    return /\[rejected\].*\((fetch first|non-fast-forward|stale info)\)|failed to update ref|cannot lock ref/.test(
      this.output,
    );
  }

  get isAuthFailure(): boolean {
    return /Authentication failed|could not read Username|HTTP 401|403 Forbidden|The requested URL returned error: 40[13]/.test(
      this.output,
    );
  }
}

export interface GitOptions {
  identity: GitIdentity;
  /** Kills a git command that runs longer (a hung remote). */
  timeoutMs?: number;
}

const defaultIdentity: GitIdentity = { name: 'Relforge', email: 'relforge@users.noreply.github.com' };

export class Git {
  private readonly identity: GitIdentity;
  private readonly timeoutMs: number;

  constructor(options: Partial<GitOptions> = {}) {
    this.identity = options.identity ?? defaultIdentity;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** Runs git in `cwd`; `remote` supplies the credential for commands that talk to it. */
  run(args: string[], options: { cwd?: string; remote?: GitRemote } = {}): Promise<string> {
    const secret = options.remote?.authHeader;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // Predictable on any machine: no user or system config, no prompt that would hang a worker.
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: this.identity.name,
      GIT_AUTHOR_EMAIL: this.identity.email,
      GIT_COMMITTER_NAME: this.identity.name,
      GIT_COMMITTER_EMAIL: this.identity.email,
      GIT_CONFIG_COUNT: secret ? '1' : '0',
      ...(secret ? { GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: secret } : {}),
    };
    const scrub = (text: string) => (secret ? text.split(secret).join('[credential]') : text);
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        args,
        { cwd: options.cwd, env, timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (!error) {
            resolve(stdout.trim());
            return;
          }
          const output = scrub(`${stdout}${stderr}`.trim());
          const detail = (output || scrub(error.message)).split('\n').slice(-6).join('\n');
          const killed = error.killed || error.signal === 'SIGTERM';
          reject(
            new GitError(
              killed ? `git ${args[0]} did not finish within ${this.timeoutMs} ms` : `git ${args[0]} failed: ${detail}`,
              {
                fix: killed ? 'check that the remote is reachable, then retry' : "see git's message above",
                ...(typeof error.code === 'number' ? { exitCode: error.code } : {}),
                output,
              },
            ),
          );
        },
      );
    });
  }

  /** The commit a branch, tag or commit id names on the remote; undefined when it has no such ref. */
  async resolveRemoteRef(remote: GitRemote, ref: string): Promise<string | undefined> {
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    const output = await this.run(
      ['ls-remote', remote.url, `refs/heads/${ref}`, `refs/tags/${ref}`, `refs/tags/${ref}^{}`],
      { remote },
    );
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t') as [string, string]);
    // An annotated tag lists its own object and, with ^{}, the commit it points at: the commit is what was released.
    const peeled = lines.find(([, name]) => name === `refs/tags/${ref}^{}`);
    return (peeled ?? lines[0])?.[0];
  }

  /** A shallow clone of one branch into `dir`. */
  async clone(remote: GitRemote, dir: string, branch: string): Promise<void> {
    await this.run(['clone', '--quiet', '--depth', '1', '--single-branch', '--branch', branch, remote.url, dir], {
      remote,
    });
  }

  /** Fetches one commit (by id or ref) into a fresh repository at `dir` and checks it out, detached. */
  async checkoutCommit(remote: GitRemote, dir: string, commit: string): Promise<void> {
    await this.run(['init', '--quiet', dir]);
    await this.run(['fetch', '--quiet', '--depth', '1', remote.url, commit], { cwd: dir, remote });
    await this.run(['checkout', '--quiet', '--detach', 'FETCH_HEAD'], { cwd: dir });
  }

  /** The remote branch into the local `branch`, fetched shallow; false when the remote has no such branch. */
  async fetchBranch(remote: GitRemote, dir: string, branch: string): Promise<boolean> {
    if (!(await this.resolveRemoteRef(remote, branch))) return false;
    await this.run(
      ['fetch', '--quiet', '--depth', '1', remote.url, `+refs/heads/${branch}:refs/remotes/origin/${branch}`],
      { cwd: dir, remote },
    );
    return true;
  }

  async checkoutNewBranch(dir: string, branch: string, startPoint: string): Promise<void> {
    await this.run(['checkout', '--quiet', '-B', branch, startPoint], { cwd: dir });
  }

  /** Commits everything changed in the work tree; undefined when there was nothing to commit. */
  async commitAll(dir: string, message: string): Promise<string | undefined> {
    await this.run(['add', '--all'], { cwd: dir });
    const status = await this.run(['status', '--porcelain'], { cwd: dir });
    if (!status) return undefined;
    await this.run(['commit', '--quiet', '--no-verify', '-m', message], { cwd: dir });
    return this.run(['rev-parse', 'HEAD'], { cwd: dir });
  }

  async push(remote: GitRemote, dir: string, refspec: string): Promise<void> {
    await this.run(['push', '--quiet', '--porcelain', remote.url, refspec], { cwd: dir, remote });
  }

  /**
   * Deletes a branch on the remote. git pushes from a repository, so an empty one is made at `dir` to push from.
   * git refuses to delete a branch that is not there: callers look first (`resolveRemoteRef`).
   */
  async deleteRemoteBranch(remote: GitRemote, dir: string, branch: string): Promise<void> {
    await this.run(['init', '--quiet', dir]);
    await this.run(['push', '--quiet', '--porcelain', remote.url, `:refs/heads/${branch}`], { cwd: dir, remote });
  }

  async headCommit(dir: string): Promise<string> {
    return this.run(['rev-parse', 'HEAD'], { cwd: dir });
  }

  /**
   * The source tarball of a commit, `<prefix>/…` inside. git archive writes
   * the commit time as every mtime and gzips without a timestamp, so the same
   * commit always gives the same bytes — and the same digest on a rebuild.
   */
  async archive(dir: string, commit: string, prefix: string, outFile: string): Promise<void> {
    await this.run(['archive', '--format=tar.gz', `--prefix=${prefix}/`, '-o', outFile, commit], { cwd: dir });
  }
}
