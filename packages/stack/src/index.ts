/**
 * `relforge stack up | down | status`: the local servers as background
 * processes that outlive the command — Temporal with its Web UI, S3, NATS with
 * JetStream (the release events) and the GitHub stand-in — remembered in a state
 * file so a later command can report on them, hand a worker and the gateway their
 * addresses and credentials, and stop them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from '@relforge/errors';
import { ReleaseKey } from '@relforge/signing';
import { spawnGitHubStandIn, StandInAdmin } from '@relforge/github-standin';
import {
  ensureBucket,
  isAlive,
  startNatsServer,
  startS3Server,
  startTemporalServer,
  stateDir,
  stopPid,
  type TemporalEndpoint,
} from '@relforge/local-servers';

export interface StackSettings {
  temporalPort: number;
  uiPort: number;
  s3Port: number;
  githubPort: number;
  /** The gateway, started by the CLI beside the worker: GitHub's webhooks come in there. */
  gatewayPort: number;
  natsPort: number;
  namespace: string;
  bucket: string;
}

export const defaultStackSettings: StackSettings = {
  temporalPort: 7233,
  uiPort: 8233,
  s3Port: 7070,
  githubPort: 7080,
  gatewayPort: 7090,
  // Not NATS's usual 4222: a NATS from the distribution may listen there, and the stack never talks to it.
  natsPort: 7222,
  namespace: 'relforge',
  bucket: 'relforge-releases',
};

/** What `stack up` wrote: enough for `status` and `down` in another process. Credentials are kept apart. */
export interface StackState {
  temporal: TemporalEndpoint & { pid: number; dbFile: string; logFile: string };
  s3: { endpoint: string; port: number; region: string; bucket: string; pid: number; dataDir: string; logFile: string };
  github: { url: string; port: number; pid: number; dataDir: string; logFile: string };
  /** JetStream on file storage in `storeDir`: the release events (absent in state files of older stacks). */
  nats?: { url: string; port: number; pid: number; storeDir: string; logFile: string };
  /** The stack's own worker, with the stack's credentials; added by the CLI once the servers are up. */
  worker?: { pid: number; logFile: string; configs: string[] };
  /** The gateway for the same projects, where the stand-in's webhooks deliver; added by the CLI after the worker. */
  gateway?: { url: string; port: number; pid: number; logFile: string; configs: string[] };
  /** The stand-in's demo person and the repositories they are admin of; their token is in the credentials file. */
  demo?: { login: string; repositories: string[] };
}

/** Local-only credentials, made once per state folder and readable only by their owner. */
export interface LocalCredentials {
  s3: { accessKeyId: string; secretAccessKey: string };
  githubToken: string;
  /** What the example's webhook on the stand-in signs with and the gateway checks (absent in older state folders). */
  webhookSecret: string;
  /**
   * The token of the stand-in's demo person (`demoLogin`), whom `relforge dispatch` and `approve` on this stack act as
   * when the caller has no RELFORGE_GITHUB_TOKEN: a person, not the bot, so the audit trail and the approval rules see
   * one (absent in older state folders).
   */
  demoToken: string;
}

/** The person a newcomer is on the local stack's stand-in: admin on the source repositories of the stack's projects. */
export const demoLogin = 'demo-maintainer';

const stateFile = () => join(stateDir(), 'stack.json');
const credentialsFile = () => join(stateDir(), 'credentials.json');

export function readStackState(): StackState | undefined {
  if (!existsSync(stateFile())) return undefined;
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as StackState;
}

export function localCredentials(): LocalCredentials {
  const file = credentialsFile();
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalCredentials>) : {};
  if (existing.s3 && existing.githubToken && existing.webhookSecret && existing.demoToken)
    return existing as LocalCredentials;
  // Made once; a folder from before the gateway keeps what it has and gains what is missing.
  const credentials: LocalCredentials = {
    s3: existing.s3 ?? {
      accessKeyId: `relforge-${randomBytes(6).toString('hex')}`,
      secretAccessKey: randomBytes(24).toString('base64url'),
    },
    githubToken: existing.githubToken ?? `ghp_${randomBytes(18).toString('hex')}`,
    webhookSecret: existing.webhookSecret ?? randomBytes(24).toString('base64url'),
    demoToken: existing.demoToken ?? `ghp_${randomBytes(18).toString('hex')}`,
  };
  mkdirSync(stateDir(), { recursive: true });
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

/** The example's release key, made once per state folder like the credentials: `.relforge/release-key`, mode 0600. */
export function localReleaseKey(): { file: string; openssh: string } {
  const file = join(stateDir(), 'release-key');
  if (existsSync(file)) return { file, openssh: readFileSync(file, 'utf8') };
  const { key, openssh } = ReleaseKey.generate('relforge-local-stack');
  mkdirSync(stateDir(), { recursive: true });
  writeFileSync(file, openssh, { mode: 0o600 });
  writeFileSync(`${file}.pub`, `${key.publicKey.line} relforge-local-stack\n`);
  return { file, openssh };
}

const serverPids = (state: StackState) =>
  [state.temporal.pid, state.s3.pid, state.github.pid, state.nats?.pid].filter((pid) => pid !== undefined);

/**
 * Every server runs; the worker is reported on its own (it may be restarted without the servers). A stack started
 * before it had NATS is not running in full: `stack up` replaces it.
 */
export function stackIsRunning(state: StackState): boolean {
  return state.nats !== undefined && serverPids(state).every(isAlive);
}

export function workerIsRunning(state: StackState): boolean {
  return state.worker !== undefined && isAlive(state.worker.pid);
}

function writeStackState(state: StackState): void {
  writeFileSync(stateFile(), `${JSON.stringify(state, null, 2)}\n`);
}

export function gatewayIsRunning(state: StackState): boolean {
  return state.gateway !== undefined && isAlive(state.gateway.pid);
}

/** Remembers the stack's gateway, so `status` reports it and `down` stops it. */
export function recordGateway(state: StackState, gateway: NonNullable<StackState['gateway']>): StackState {
  const updated = { ...state, gateway };
  writeStackState(updated);
  return updated;
}

/**
 * The demo person on the stand-in, with their token, admin of `repositories` (the stack's projects' source
 * repositories): made, or made again with the same token, at every `stack up`, so a stand-in whose data predates it
 * gains them. Remembered in the state so `status` names them.
 */
export async function ensureDemoPerson(state: StackState, repositories: string[]): Promise<StackState> {
  const admin = new StandInAdmin(state.github.url);
  await admin.createUser({ login: demoLogin, token: localCredentials().demoToken });
  for (const repo of repositories) await admin.setCollaborator({ repo, login: demoLogin, role: 'admin' });
  const updated = { ...state, demo: { login: demoLogin, repositories } };
  writeStackState(updated);
  return updated;
}

/**
 * Who a gateway command acts as on the running local stack when the caller gave no token: the demo person, at the
 * stack's gateway. Undefined without a stack whose gateway and demo person were recorded.
 */
export function stackDemoCaller(): { gatewayUrl: string; login: string; token: string } | undefined {
  const state = readStackState();
  if (!state?.gateway || !state.demo || !existsSync(credentialsFile())) return undefined;
  return { gatewayUrl: state.gateway.url, login: state.demo.login, token: localCredentials().demoToken };
}

/** Remembers the stack's worker, so `status` reports it and `down` stops it. */
export function recordWorker(state: StackState, worker: NonNullable<StackState['worker']>): StackState {
  const updated = { ...state, worker };
  writeStackState(updated);
  return updated;
}

export async function stackUp(settings: StackSettings = defaultStackSettings): Promise<StackState> {
  const existing = readStackState();
  if (existing && stackIsRunning(existing)) return existing;
  if (existing) await stackDown();

  const dir = stateDir();
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const credentials = localCredentials();
  localReleaseKey();
  const started: number[] = [];
  try {
    const dbFile = join(dir, 'temporal.db');
    const temporal = await startTemporalServer({
      port: settings.temporalPort,
      uiPort: settings.uiPort,
      namespace: settings.namespace,
      dbFile,
      logFile: join(dir, 'logs', 'temporal.log'),
      detached: true,
    });
    started.push(temporal.process.pid);
    const s3DataDir = join(dir, 's3');
    const s3 = await startS3Server({
      port: settings.s3Port,
      dataDir: s3DataDir,
      logFile: join(dir, 'logs', 's3.log'),
      detached: true,
      ...credentials.s3,
    });
    started.push(s3.process.pid);
    await ensureBucket(s3.endpoint, settings.bucket);
    const githubDataDir = join(dir, 'github');
    const github = await spawnGitHubStandIn({
      port: settings.githubPort,
      dataDir: githubDataDir,
      tokens: [credentials.githubToken],
      logFile: join(dir, 'logs', 'github.log'),
      detached: true,
    });
    started.push(github.pid);
    const natsStoreDir = join(dir, 'nats');
    const nats = await startNatsServer({
      port: settings.natsPort,
      storeDir: natsStoreDir,
      logFile: join(dir, 'logs', 'nats.log'),
      detached: true,
    });
    started.push(nats.process.pid);
    const state: StackState = {
      temporal: { ...temporal.endpoint, pid: temporal.process.pid, dbFile, logFile: temporal.process.logFile },
      s3: {
        endpoint: s3.endpoint.endpoint,
        port: settings.s3Port,
        region: s3.endpoint.region,
        bucket: settings.bucket,
        pid: s3.process.pid,
        dataDir: s3DataDir,
        logFile: s3.process.logFile,
      },
      github: {
        url: github.url,
        port: settings.githubPort,
        pid: github.pid,
        dataDir: githubDataDir,
        logFile: github.logFile,
      },
      nats: {
        url: nats.endpoint.url,
        port: settings.natsPort,
        pid: nats.process.pid,
        storeDir: natsStoreDir,
        logFile: nats.process.logFile,
      },
    };
    writeStackState(state);
    return state;
  } catch (error) {
    // Leave nothing half-started: whatever came up before the failure goes down again.
    await Promise.all(started.map((pid) => stopPid(pid)));
    throw error;
  }
}

export async function stackDown(): Promise<StackState | undefined> {
  const state = readStackState();
  if (!state) return undefined;
  // The gateway first, so nothing new comes in; then the worker, gracefully: it finishes its in-flight step while
  // Temporal is still there to hear of it.
  if (state.gateway) await stopPid(state.gateway.pid);
  if (state.worker) await stopPid(state.worker.pid, 15_000);
  await Promise.all(serverPids(state).map((pid) => stopPid(pid)));
  rmSync(stateFile(), { force: true });
  return state;
}

export function requireRunningStack(): StackState {
  const state = readStackState();
  if (!state || !stackIsRunning(state)) {
    throw new StackError('the local stack is not running', {
      fix: 'start it with `relforge stack up`',
    });
  }
  return state;
}

/**
 * The environment of a worker releasing on this stack: where Temporal and NATS
 * are, the credentials and the release key the example config names, and the ports its addresses use.
 */
export function workerEnvironment(state: StackState): Record<string, string> {
  const credentials = localCredentials();
  return {
    RELFORGE_TEMPORAL_ADDRESS: state.temporal.address,
    RELFORGE_NAMESPACE: state.temporal.namespace,
    RELFORGE_GITHUB_TOKEN: credentials.githubToken,
    RELFORGE_S3_ACCESS_KEY_ID: credentials.s3.accessKeyId,
    RELFORGE_S3_SECRET_ACCESS_KEY: credentials.s3.secretAccessKey,
    RELFORGE_RELEASE_KEY: localReleaseKey().openssh,
    RELFORGE_S3_PORT: String(state.s3.port),
    RELFORGE_GITHUB_PORT: String(state.github.port),
    ...(state.nats ? { RELFORGE_NATS_URL: state.nats.url } : {}),
  };
}

/** The name the gateway reads the webhook secret from; the value is handed over in its environment, never argv. */
export const gatewaySecretVariable = 'RELFORGE_GITHUB_WEBHOOK_SECRET';

/** The variable the stack's gateway reads its forge token from: the stand-in's bot token, as the worker's. */
export const gatewayTokenVariable = 'RELFORGE_GATEWAY_TOKEN';

/**
 * The environment of the stack's gateway: Temporal, the ports its configs' addresses use, the webhook secret, the
 * forge token it looks up callers' roles with, and the stand-in as the forge that says who a token is.
 */
export function gatewayEnvironment(state: StackState, port: number, configs: string[]): Record<string, string> {
  return {
    RELFORGE_TEMPORAL_ADDRESS: state.temporal.address,
    RELFORGE_NAMESPACE: state.temporal.namespace,
    RELFORGE_S3_PORT: String(state.s3.port),
    RELFORGE_GITHUB_PORT: String(state.github.port),
    RELFORGE_GATEWAY_LISTEN: `127.0.0.1:${port}`,
    RELFORGE_PROJECTS: configs.join(','),
    RELFORGE_WEBHOOK_SECRET_ENV: gatewaySecretVariable,
    [gatewaySecretVariable]: localCredentials().webhookSecret,
    RELFORGE_GATEWAY_TOKEN_ENV: gatewayTokenVariable,
    [gatewayTokenVariable]: localCredentials().githubToken,
    // `relforge approve` and signing in ask the forge who a token is: here, the stand-in.
    RELFORGE_GITHUB_API_URL: state.github.url,
    RELFORGE_GITHUB_URL: state.github.url,
    // The board: live from the stack's JetStream, each release linked to the dev server's Web UI.
    ...(state.nats ? { RELFORGE_NATS_URL: state.nats.url } : {}),
    RELFORGE_TEMPORAL_UI_URL: state.temporal.uiUrl,
  };
}
