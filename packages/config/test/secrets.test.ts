import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeSecret, readSecretRef } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading a secret the config names', () => {
  it('reads a variable, and counts an empty one as unset', () => {
    expect(readSecretRef({ env: 'TOKEN' }, { TOKEN: 's3cret' })).toEqual({ value: 's3cret' });
    expect(readSecretRef({ env: 'TOKEN' }, { TOKEN: '' })).toEqual({ problem: 'unset', variable: 'TOKEN' });
    expect(readSecretRef({ env: 'TOKEN' }, {})).toEqual({ problem: 'unset', variable: 'TOKEN' });
  });

  it('reads a file trimmed, and says when it is missing or holds only white space', () => {
    const file = join(dir, 'token');
    writeFileSync(file, '  s3cret\n');
    expect(readSecretRef({ file }, {})).toEqual({ value: 's3cret' });
    writeFileSync(file, '\n\n');
    expect(readSecretRef({ file }, {})).toEqual({ problem: 'empty', file });
    const missing = join(dir, 'missing');
    expect(readSecretRef({ file: missing }, {})).toEqual({ problem: 'unreadable', file: missing, code: 'ENOENT' });
    expect(readSecretRef({ file: dir }, {})).toEqual({ problem: 'unreadable', file: dir, code: 'EISDIR' });
  });

  it('names where it looked, never a value', () => {
    expect(describeSecret({ env: 'TOKEN' })).toBe('environment variable TOKEN');
    expect(describeSecret({ file: '/etc/relforge/token' })).toBe('file /etc/relforge/token');
  });
});
