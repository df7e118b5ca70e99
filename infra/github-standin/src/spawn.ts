/**
 * Starting the stand-in for tests and the demo: a child process on a port of
 * its own, tokens handed over in its environment, ready once its admin API
 * answers. A start that fails stops the child and reports its log tail.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StackError } from '@relforge/errors';
import { freePort, startServer } from '@relforge/local-servers';
import { z } from 'zod';
import {
  contractViolation,
  createdRepo,
  standInState,
  type ContractViolation,
  type CreatedRepo,
  type CreateRepoInput,
  type FaultInput,
  type StandInState,
} from './admin-schema.js';
import type { createOAuthAppInput } from './oauth.js';
import type { AppSettings } from './auth.js';
import {
  createdUser,
  type CreatedUser,
  type CreateTeamInput,
  type CreateUserInput,
  type SetCollaboratorInput,
} from './people.js';

export interface SpawnStandInOptions {
  /** Picked free when left out. */
  port?: number;
  dataDir: string;
  tokens: string[];
  /** A GitHub App whose installation tokens the stand-in hands out. */
  app?: AppSettings;
  /** Defaults to `standin.log` in the data folder. */
  logFile?: string;
  /** Keep running after this Node process exits (`relforge stack up`). */
  detached?: boolean;
}

export interface RunningStandIn {
  url: string;
  pid: number;
  logFile: string;
  admin: StandInAdmin;
  stop(): Promise<void>;
}

// Always the built entry point: a sibling when this module runs from dist/, and still that file when tests load it from src/.
const mainScript = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** A typed client for the stand-in's `/_standin/` API. */
export class StandInAdmin {
  constructor(readonly url: string) {}

  private async call<T>(
    method: string,
    path: string,
    schema: z.ZodType<T> | undefined,
    body?: unknown,
  ): Promise<T | undefined> {
    const response = await fetch(`${this.url}/_standin${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new StackError(`the GitHub stand-in refused ${method} /_standin${path} (${response.status}): ${text}`, {
        fix: 'check the payload against the stand-in admin schema in infra/github-standin/src/admin-schema.ts',
      });
    }
    return schema ? schema.parse(JSON.parse(text)) : undefined;
  }

  /** Makes a bare repository, seeded from a folder if given; an existing one is left as it is. */
  async createRepo(input: CreateRepoInput): Promise<CreatedRepo> {
    return (await this.call('POST', '/repos', createdRepo, input)) as CreatedRepo;
  }

  async state(): Promise<StandInState> {
    return (await this.call('GET', '/state', standInState)) as StandInState;
  }

  async violations(): Promise<ContractViolation[]> {
    return (await this.call('GET', '/violations', z.array(contractViolation))) ?? [];
  }

  /** The next `count` requests that match answer with this fault instead. */
  async addFault(fault: FaultInput): Promise<void> {
    await this.call('POST', '/faults', undefined, fault);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/faults', undefined);
  }

  /** A user who signs in with a token of their own; the token is returned (made up unless given). */
  async createUser(input: CreateUserInput): Promise<CreatedUser> {
    return (await this.call('POST', '/users', createdUser, input)) as CreatedUser;
  }

  /** Gives a user a role on a repository, replacing the one they had. */
  async setCollaborator(input: SetCollaboratorInput): Promise<void> {
    await this.call('PUT', '/collaborators', undefined, input);
  }

  /** Makes (or remakes) an organization team with these active members. */
  async createTeam(input: CreateTeamInput): Promise<void> {
    await this.call('PUT', '/teams', undefined, input);
  }

  /** An OAuth app the web flow (`/login/oauth/authorize`, `/login/oauth/access_token`) accepts. */
  async addOAuthApp(input: z.input<typeof createOAuthAppInput>): Promise<void> {
    await this.call('POST', '/oauth/apps', undefined, input);
  }

  /** Who `/login/oauth/authorize` signs in when its URL names nobody (null: nobody). */
  async signIn(login: string | null): Promise<void> {
    await this.call('POST', '/oauth/sign-in', undefined, { login });
  }
}

export async function spawnGitHubStandIn(options: SpawnStandInOptions): Promise<RunningStandIn> {
  if (options.tokens.length === 0 || options.tokens.some((token) => token === '' || token.includes(','))) {
    throw new StackError('the GitHub stand-in needs at least one token, none empty or containing a comma', {
      fix: 'pass tokens such as `ghp_` followed by random characters',
    });
  }
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const logFile = options.logFile ?? join(options.dataDir, 'standin.log');
  const admin = new StandInAdmin(url);
  const server = await startServer({
    name: 'GitHub stand-in',
    command: process.execPath,
    args: [mainScript, '--port', String(port), '--host', '127.0.0.1', '--data', options.dataDir],
    env: {
      RELFORGE_STANDIN_TOKENS: options.tokens.join(','),
      ...(options.app ? { RELFORGE_STANDIN_APP: JSON.stringify(options.app) } : {}),
    },
    logFile,
    detached: options.detached ?? false,
    ready: async () => {
      await admin.state();
      return true;
    },
    readyTimeoutMs: 15_000,
    fix: `check ${logFile}; run \`pnpm turbo run build --filter=@relforge/github-standin...\` if dist/ is missing`,
  });
  return { url, pid: server.pid, logFile, admin, stop: () => server.stop() };
}
