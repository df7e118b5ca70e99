import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isAlive } from '@relforge/local-stack';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

interface StackFile {
  temporal: { pid: number; address: string; uiUrl: string };
  s3: { pid: number; endpoint: string };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) {
    await runCli(['stack', 'down'], { RELFORGE_STATE_DIR: dir });
    rmSync(dir, { recursive: true, force: true });
  }
});

async function stackEnv() {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-cli-'));
  dirs.push(dir);
  return {
    RELFORGE_STATE_DIR: dir,
    RELFORGE_TEMPORAL_PORT: String(await freePort()),
    RELFORGE_UI_PORT: String(await freePort()),
    RELFORGE_S3_PORT: String(await freePort()),
  };
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('relforge stack', () => {
  it('starts the servers in the background, reports them, and stops them', async () => {
    const env = await stackEnv();
    const up = await runCli(['stack', 'up'], env);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`Temporal   127.0.0.1:${env.RELFORGE_TEMPORAL_PORT}`);
    expect(up.stdout).toContain(`Web UI     http://127.0.0.1:${env.RELFORGE_UI_PORT}/namespaces/relforge/workflows`);
    expect(up.stdout).toContain(`S3         http://127.0.0.1:${env.RELFORGE_S3_PORT}`);

    const state = JSON.parse(readFileSync(join(env.RELFORGE_STATE_DIR, 'stack.json'), 'utf8')) as StackFile;
    expect(isAlive(state.temporal.pid)).toBe(true);
    expect(isAlive(state.s3.pid)).toBe(true);
    expect((await fetch(state.temporal.uiUrl)).status).toBe(200);

    const again = await runCli(['stack', 'up'], env);
    expect(again.code).toBe(0);
    const sameState = JSON.parse(readFileSync(join(env.RELFORGE_STATE_DIR, 'stack.json'), 'utf8')) as StackFile;
    expect(sameState.temporal.pid).toBe(state.temporal.pid);

    const status = await runCli(['stack', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('local stack: running');

    const down = await runCli(['stack', 'down'], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('local stack stopped');
    expect(isAlive(state.temporal.pid)).toBe(false);
    expect(isAlive(state.s3.pid)).toBe(false);

    const after = await runCli(['stack', 'status'], env);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('not running');
  });

  it('refuses a taken port with one line naming it and the fix, and leaves no server running', async () => {
    const env = await stackEnv();
    const squatter = await listen(Number(env.RELFORGE_S3_PORT));
    try {
      const up = await runCli(['stack', 'up'], env);
      expect(up.code).toBe(3);
      expect(up.stderr).toContain(`relforge: port ${env.RELFORGE_S3_PORT} (S3 server) is already in use on 127.0.0.1`);
      expect(up.stderr).toContain('fix: stop whatever listens there');
      expect(up.stderr).toContain('--s3-port or RELFORGE_S3_PORT');
      expect(up.stderr).not.toMatch(/\n\s+at /);
      // Temporal had started before S3 was refused: it must have been stopped again.
      const temporalPort = Number(env.RELFORGE_TEMPORAL_PORT);
      const probe = await listen(temporalPort);
      probe.close();
    } finally {
      squatter.close();
    }
  });

  it('says how to build the servers when they are missing', async () => {
    const env = await stackEnv();
    const up = await runCli(['stack', 'up'], { ...env, RELFORGE_BIN_DIR: join(env.RELFORGE_STATE_DIR, 'no-bin') });
    expect(up.code).toBe(3);
    expect(up.stderr).toContain('relforge: temporal is not built');
    expect(up.stderr).toContain('fix: run `bash infra/install.sh`');
  });

  it('refuses a malformed port before starting anything', async () => {
    const env = await stackEnv();
    const flag = await runCli(['stack', 'up', '--temporal-port', 'seven'], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("option '--temporal-port <port>' argument 'seven' is invalid. expected a port number from 1 to 65535");

    const variable = await runCli(['stack', 'up'], { ...env, RELFORGE_UI_PORT: '99999' });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain('relforge: RELFORGE_UI_PORT=99999 is not a port number');
  });
});

describe('relforge demo', () => {
  it('runs a workflow on a worker process against the local stack and links the Web UI', async () => {
    const env = await stackEnv();
    const demo = await runCli(['demo'], env);
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/completed: sha256\("hello from relforge demo"\) = [0-9a-f]{64} \(computed by worker pid \d+\)/);
    const link = demo.stdout.match(/Web UI: (http:\/\/\S+)/)?.[1];
    expect(link).toContain(`http://127.0.0.1:${env.RELFORGE_UI_PORT}/namespaces/relforge/workflows/smoke%2Fdemo-`);
    expect((await fetch(link as string)).status).toBe(200);
  });
});
