import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@relforge/errors';
import {
  ChecksumsFormatError,
  checksumFileNames,
  checksumsText,
  digestFile,
  parseChecksumsText,
  sidecarText,
  type ChecksumEntry,
  type FileDigest,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-sums-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Out of order on purpose, and one name with spaces: -c reads the rest of the line as the name.
const artifacts = ['valkey-9.0.0-noble-x86_64.tar.gz', 'valkey-9.0.0-jammy-arm64.tar.gz', 'valkey 9.0.0 notes.txt'];
let entries: (FileDigest & { fileName: string })[] = [];
const listed = (algorithm: 'sha256' | 'sha512'): ChecksumEntry[] =>
  entries.map((entry) => ({ file: entry.fileName, digest: entry[algorithm] }));

beforeAll(async () => {
  entries = [];
  for (const [index, fileName] of artifacts.entries()) {
    writeFileSync(join(dir, fileName), randomBytes(100_000 + index));
    entries.push({ fileName, ...(await digestFile(join(dir, fileName))) });
  }
});

function check(tool: 'sha256sum' | 'sha512sum', sumsFile: string) {
  const run = spawnSync(tool, ['--strict', '-c', sumsFile], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

function tamper(fileName: string): () => void {
  const path = join(dir, fileName);
  const original = readFileSync(path);
  writeFileSync(path, Buffer.concat([original, Buffer.from('x')]));
  return () => writeFileSync(path, original);
}

describe('sidecar checksum files', () => {
  it('writes "<hex>  <name>" with two spaces and a final newline', () => {
    const sha256 = entries[0]?.sha256 ?? '';
    expect(sidecarText(sha256, 'a.tar.gz')).toBe(`${sha256}  a.tar.gz\n`);
  });

  it('is accepted by the real sha256sum -c, and fails it once the artifact changes', () => {
    for (const entry of entries)
      writeFileSync(join(dir, `${entry.fileName}.sha256`), sidecarText(entry.sha256, entry.fileName));
    for (const entry of entries) expect(check('sha256sum', `${entry.fileName}.sha256`)).toMatchObject({ status: 0 });

    const name = artifacts[0] ?? '';
    const restore = tamper(name);
    try {
      const result = check('sha256sum', `${name}.sha256`);
      expect(result.status).toBe(1);
      expect(result.output).toContain(`${name}: FAILED`);
    } finally {
      restore();
    }
  });

  it('refuses a digest that is not 64 lower-case hex digits', () => {
    expect(() => sidecarText('ABC', 'a.tar.gz')).toThrow(InputError);
    expect(() => sidecarText('ABC', 'a.tar.gz')).toThrow(/sha256: expected 64 lower-case hex digits/);
  });
});

describe('combined SHA256SUMS and SHA512SUMS files', () => {
  it('lists the files sorted by name, whatever order they came in', () => {
    const text = checksumsText(listed('sha256'), 'sha256');
    expect(text.split('\n').map((line) => line.slice(66))).toEqual([
      'valkey 9.0.0 notes.txt',
      'valkey-9.0.0-jammy-arm64.tar.gz',
      'valkey-9.0.0-noble-x86_64.tar.gz',
      '',
    ]);
  });

  it.each(['sha256', 'sha512'] as const)(
    'is accepted by the real %ssum -c, and fails it for a tampered file',
    (algorithm) => {
      const names = checksumFileNames('valkey', '9.0.0');
      writeFileSync(join(dir, names[algorithm]), checksumsText(listed(algorithm), algorithm));
      const tool = algorithm === 'sha256' ? 'sha256sum' : 'sha512sum';
      const passed = check(tool, names[algorithm]);
      expect(passed.status).toBe(0);
      for (const name of artifacts) expect(passed.output).toContain(`${name}: OK`);

      const restore = tamper(artifacts[1] ?? '');
      try {
        const failed = check(tool, names[algorithm]);
        expect(failed.status).toBe(1);
        expect(failed.output).toContain(`${artifacts[1]}: FAILED`);
        expect(failed.output).toContain(`${artifacts[0]}: OK`);
      } finally {
        restore();
      }
    },
  );

  it('names the files <project>-<version>-SHA256SUMS and -SHA512SUMS', () => {
    expect(checksumFileNames('valkey', '8.1.0-rc1')).toEqual({
      sha256: 'valkey-8.1.0-rc1-SHA256SUMS',
      sha512: 'valkey-8.1.0-rc1-SHA512SUMS',
    });
  });

  it('refuses a project or version that would put the checksum files in another folder', () => {
    expect(() => checksumFileNames('valkey', '../9.0.0')).toThrow(/version: expected a plain file name/);
  });

  it('refuses a file name listed twice', () => {
    const [first] = listed('sha256');
    if (!first) throw new Error('no entries');
    expect(() => checksumsText([first, { ...first }], 'sha256')).toThrow(`${first.file} is listed twice`);
  });

  it('refuses file names that sha256sum would escape or that point into folders', () => {
    const [first] = listed('sha512');
    if (!first) throw new Error('no entries');
    for (const file of ['dist/a.tar.gz', 'a\\b', 'a\nb', '']) {
      expect(() => checksumsText([{ ...first, file }], 'sha512')).toThrow(/\[0\]\.file: expected/);
    }
  });

  it('refuses a digest of the wrong algorithm', () => {
    expect(() => checksumsText(listed('sha256'), 'sha512')).toThrow(
      /\[0\]\.digest: expected 128 lower-case hex digits/,
    );
  });
});

describe('reading checksum files', () => {
  it('reads what sha256sum and sha512sum print, text and binary mode', () => {
    const sha256 = spawnSync('sha256sum', artifacts, { cwd: dir, encoding: 'utf8' }).stdout;
    const sha512 = spawnSync('sha512sum', ['--binary', ...artifacts], { cwd: dir, encoding: 'utf8' }).stdout;
    expect(parseChecksumsText(sha256)).toEqual(
      entries.map((entry) => ({ fileName: entry.fileName, algorithm: 'sha256', digest: entry.sha256 })),
    );
    expect(parseChecksumsText(sha512)).toEqual(
      entries.map((entry) => ({ fileName: entry.fileName, algorithm: 'sha512', digest: entry.sha512 })),
    );
  });

  it('reads back what checksumsText writes', () => {
    const parsed = parseChecksumsText(checksumsText(listed('sha512'), 'sha512'));
    expect(parsed.map((line) => line.digest).sort()).toEqual(entries.map((entry) => entry.sha512).sort());
  });

  it('names every malformed line with its number and what was expected', () => {
    const digest = entries[0]?.sha256 ?? '';
    const text = [
      `${digest}  good.tar.gz`,
      `${digest} missing-second-space`,
      'deadbeef  short.tar.gz',
      `${digest}  good.tar.gz`,
      `${digest}  crlf.tar.gz\r`,
      '',
      `\\${digest}  escaped\\nname`,
    ].join('\n');
    let error: unknown;
    try {
      parseChecksumsText(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ChecksumsFormatError);
    expect((error as ChecksumsFormatError).problems).toEqual([
      `line 2: expected "<hex digest>  <file name>", got "${digest} missing-second-space"`,
      'line 3: the digest has 8 hex digits; expected 64 (sha256) or 128 (sha512)',
      'line 4: good.tar.gz is listed a second time',
      'line 5: ends with a carriage return (CRLF); sha256sum -c would look for a file name ending in "\\r"',
      'line 7: escaped file names (a line starting with "\\") are not supported',
    ]);
  });
});
