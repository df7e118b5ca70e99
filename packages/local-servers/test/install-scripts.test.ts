import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceRoot } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-install-'));
  dirs.push(dir);
  return dir;
}

function runScript(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('bash', [join(workspaceRoot(), script)], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe('infra install scripts', () => {
  it('skip the Go build when the pinned version is already built', async () => {
    const result = await runScript('infra/install.sh', { ...process.env });
    expect(result.code).toBe(0);
    expect(result.output).toContain('temporal: github.com/temporalio/cli/cmd/temporal@v1.5.1 already built');
    expect(result.output).toContain('versitygw: github.com/versity/versitygw/cmd/versitygw@v1.8.0 already built');
    expect(result.output).toContain('cosign: github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5 already built');
    expect(result.output).toContain('nats-server: github.com/nats-io/nats-server/v2@v2.15.2 already built');
  });

  it('name the missing Go toolchain and how to get it', async () => {
    const bin = join(scratch(), 'bin');
    const result = await runScript('infra/temporal/install.sh', {
      PATH: '/usr/bin:/bin',
      HOME: process.env['HOME'],
      RELFORGE_BIN_DIR: bin,
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain('relforge infra: Go toolchain not found on PATH. Install Go');
    expect(existsSync(join(bin, 'temporal'))).toBe(false);
  });

  it('name the module and every version tried when the module proxy refuses them', async () => {
    const dir = scratch();
    // An empty module cache and no proxy: the same answer a proxy gives for a version it does not serve.
    const result = await runScript('infra/temporal/install.sh', {
      ...process.env,
      RELFORGE_BIN_DIR: join(dir, 'bin'),
      GOMODCACHE: join(dir, 'modcache'),
      GOPROXY: 'off',
      GOFLAGS: '-modcacherw',
    });
    expect(result.code).toBe(1);
    for (const version of ['v1.5.1', 'v1.5.0', 'v1.4.1']) {
      expect(result.output).toContain(`go install github.com/temporalio/cli/cmd/temporal@${version} failed`);
    }
    expect(result.output).toContain(
      'relforge infra: could not build temporal from github.com/temporalio/cli/cmd/temporal at any of: v1.5.1 v1.5.0 v1.4.1.',
    );
    expect(existsSync(join(dir, 'bin', 'temporal'))).toBe(false);
  });
});
