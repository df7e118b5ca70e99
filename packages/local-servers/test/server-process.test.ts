import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { StackError } from '@relforge/errors';
import { startServer } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const processesNamed = (marker: string) =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(marker) && !line.includes('ps -eo'));

describe('starting a server process', () => {
  it('reports a server that exits during start-up with the end of its log', async () => {
    const logFile = join(dir, 'crash.log');
    const start = startServer({
      name: 'crashing server',
      command: 'bash',
      args: ['-c', 'echo "listen tcp 127.0.0.1:7233: bind: address already in use"; exit 3'],
      logFile,
      ready: async () => false,
      fix: 'free the port',
    });
    await expect(start).rejects.toThrow(StackError);
    await expect(start).rejects.toThrow(
      /crashing server exited during start-up \(exit code 3\); its log ends with:\nlisten tcp 127\.0\.0\.1:7233: bind: address already in use/,
    );
  });

  it('kills a server that never becomes ready, leaving no process behind', async () => {
    const marker = `relforge-hang-${process.pid}`;
    const start = startServer({
      name: 'hanging server',
      command: 'bash',
      args: ['-c', `exec -a ${marker} sleep 600`],
      logFile: join(dir, 'hang.log'),
      ready: async () => false,
      readyTimeoutMs: 1_000,
      fix: 'look at its log',
    });
    await expect(start).rejects.toThrow(/hanging server did not become ready within 1000 ms/);
    expect(processesNamed(marker)).toEqual([]);
  });

  it('says which command could not be run at all', async () => {
    const start = startServer({
      name: 'absent server',
      command: join(dir, 'no-such-binary'),
      args: [],
      logFile: join(dir, 'absent.log'),
      ready: async () => true,
      fix: 'run `bash infra/install.sh`',
    });
    await expect(start).rejects.toThrow(/absent server could not be started \(spawn .*no-such-binary ENOENT\)/);
  });
});
