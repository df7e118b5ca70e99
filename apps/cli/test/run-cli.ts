/** Runs the built `relforge` command as a child process, the way a person does. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@relforge/local-servers';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: { ...process.env, ...env }, timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface RunningCli {
  child: ChildProcess;
  /** What it printed so far. */
  output(): { stdout: string; stderr: string };
  exited: Promise<CliResult>;
}

/** The command in the background, for one that follows a release while the test acts on it. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })),
  );
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** The environment of a local stack in a state folder of its own, every server on a free port. */
export async function stackEnvironment() {
  return {
    RELFORGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'relforge-cli-')),
    RELFORGE_TEMPORAL_PORT: String(await freePort()),
    RELFORGE_UI_PORT: String(await freePort()),
    RELFORGE_S3_PORT: String(await freePort()),
    RELFORGE_GITHUB_PORT: String(await freePort()),
    RELFORGE_NATS_PORT: String(await freePort()),
    RELFORGE_GATEWAY_PORT: String(await freePort()),
  };
}
