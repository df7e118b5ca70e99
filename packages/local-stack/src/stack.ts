/**
 * `relforge stack up | down | status`: the local servers as background
 * processes that outlive the command, remembered in a state file so a later
 * command can report on them and stop them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from '@relforge/errors';
import { ensureBucket, startS3Server, type S3Endpoint } from './s3-server.js';
import { isAlive, stopPid, type ServerProcess } from './server-process.js';
import { startTemporalServer, type TemporalEndpoint } from './temporal-server.js';
import { stateDir } from './paths.js';

export interface StackSettings {
  temporalPort: number;
  uiPort: number;
  s3Port: number;
  namespace: string;
  bucket: string;
}

export const defaultStackSettings: StackSettings = {
  temporalPort: 7233,
  uiPort: 8233,
  s3Port: 7070,
  namespace: 'relforge',
  bucket: 'relforge-releases',
};

/** What `stack up` wrote: enough for `status` and `down` in another process. Credentials are kept apart. */
export interface StackState {
  temporal: TemporalEndpoint & { pid: number; dbFile: string; logFile: string };
  s3: { endpoint: string; region: string; bucket: string; pid: number; dataDir: string; logFile: string };
}

const stateFile = () => join(stateDir(), 'stack.json');
const credentialsFile = () => join(stateDir(), 's3-credentials.json');

export function readStackState(): StackState | undefined {
  if (!existsSync(stateFile())) return undefined;
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as StackState;
}

/** Local S3 credentials, made once per state folder and readable only by their owner. */
export function localS3Credentials(): Pick<S3Endpoint, 'accessKeyId' | 'secretAccessKey'> {
  const file = credentialsFile();
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Pick<S3Endpoint, 'accessKeyId' | 'secretAccessKey'>;
  const credentials = { accessKeyId: `relforge-${randomBytes(6).toString('hex')}`, secretAccessKey: randomBytes(24).toString('base64url') };
  mkdirSync(stateDir(), { recursive: true });
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

export function stackIsRunning(state: StackState): boolean {
  return isAlive(state.temporal.pid) && isAlive(state.s3.pid);
}

export async function stackUp(settings: StackSettings = defaultStackSettings): Promise<StackState> {
  const existing = readStackState();
  if (existing && stackIsRunning(existing)) return existing;
  if (existing) await stackDown();

  const dir = stateDir();
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const started: ServerProcess[] = [];
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
    started.push(temporal.process);
    const dataDir = join(dir, 's3');
    const s3 = await startS3Server({
      port: settings.s3Port,
      dataDir,
      logFile: join(dir, 'logs', 's3.log'),
      detached: true,
      ...localS3Credentials(),
    });
    started.push(s3.process);
    await ensureBucket(s3.endpoint, settings.bucket);
    const state: StackState = {
      temporal: { ...temporal.endpoint, pid: temporal.process.pid, dbFile, logFile: temporal.process.logFile },
      s3: {
        endpoint: s3.endpoint.endpoint,
        region: s3.endpoint.region,
        bucket: settings.bucket,
        pid: s3.process.pid,
        dataDir,
        logFile: s3.process.logFile,
      },
    };
    writeFileSync(stateFile(), `${JSON.stringify(state, null, 2)}\n`);
    return state;
  } catch (error) {
    // Leave nothing half-started: whatever came up before the failure goes down again.
    await Promise.all(started.map((server) => stopPid(server.pid)));
    throw error;
  }
}

export async function stackDown(): Promise<StackState | undefined> {
  const state = readStackState();
  if (!state) return undefined;
  await Promise.all([stopPid(state.temporal.pid), stopPid(state.s3.pid)]);
  rmSync(stateFile(), { force: true });
  return state;
}

export function requireRunningStack(): StackState {
  const state = readStackState();
  if (!state || !stackIsRunning(state)) {
    throw new StackError('the local stack is not running', { fix: 'start it with `pnpm stack up` (or `relforge stack up`)' });
  }
  return state;
}
