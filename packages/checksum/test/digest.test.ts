import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChecksumMismatchError, digestFile, verifyFile } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-digest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

function fileOf(size: number): string {
  const path = join(dir, `file-${size}.bin`);
  writeFileSync(path, randomBytes(size));
  return path;
}

function coreutilsDigest(tool: 'sha256sum' | 'sha512sum', path: string): string {
  return execFileSync(tool, [path], { encoding: 'utf8' }).split(' ')[0] ?? '';
}

describe('digesting a file', () => {
  const sizes = [0, 1, 1000, MiB - 1, MiB, MiB + 1, 3 * MiB + 12_345, 5 * MiB];

  it.each(sizes)('agrees with node:crypto and the coreutils binaries on %i bytes', async (size) => {
    const path = fileOf(size);
    const bytes = readFileSync(path);
    const digest = await digestFile(path);
    expect(digest).toEqual({
      size,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sha512: createHash('sha512').update(bytes).digest('hex'),
    });
    expect(digest.sha256).toBe(coreutilsDigest('sha256sum', path));
    expect(digest.sha512).toBe(coreutilsDigest('sha512sum', path));
  });

  it('reports progress as bytes read so far, ending at the file size', async () => {
    const path = fileOf(2 * MiB + 7);
    const seen: number[] = [];
    await digestFile(path, { onProgress: (bytes) => seen.push(bytes) });
    expect(seen).toEqual([MiB, 2 * MiB, 2 * MiB + 7]);
  });

  it('stops reading when its signal is aborted, rejecting with the reason', async () => {
    const path = fileOf(4 * MiB);
    const controller = new AbortController();
    const reason = new Error('release cancelled');
    const seen: number[] = [];
    const digesting = digestFile(path, {
      signal: controller.signal,
      onProgress: (bytes) => {
        seen.push(bytes);
        controller.abort(reason);
      },
    });
    await expect(digesting).rejects.toBe(reason);
    expect(seen).toEqual([MiB]);
  });

  it('refuses to start with an already aborted signal', async () => {
    await expect(digestFile(fileOf(1), { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });
});

describe('verifying a file', () => {
  it('returns the digest of an unchanged file', async () => {
    const path = fileOf(MiB + 3);
    const digest = await digestFile(path);
    await expect(verifyFile(path, { sha256: digest.sha256, size: digest.size })).resolves.toEqual(digest);
  });

  it('catches one changed byte, naming the file and both digests', async () => {
    const path = fileOf(MiB + 3);
    const before = await digestFile(path);
    const bytes = readFileSync(path);
    bytes[MiB + 1] = (bytes[MiB + 1] ?? 0) ^ 0x01;
    writeFileSync(path, bytes);
    const after = createHash('sha256').update(bytes).digest('hex');

    const verifying = verifyFile(path, { sha256: before.sha256, size: before.size });
    await expect(verifying).rejects.toBeInstanceOf(ChecksumMismatchError);
    await expect(verifying).rejects.toThrow(
      `${path} does not match its checksum: expected sha256 ${before.sha256}, got ${after}`,
    );
    await expect(verifying).rejects.toMatchObject({
      file: path,
      actual: { sha256: after },
      fix: expect.stringMatching(/rebuild or re-download/),
    });
  });

  it('catches a truncated file by its size as well as its digest', async () => {
    const path = fileOf(1000);
    const before = await digestFile(path);
    writeFileSync(path, readFileSync(path).subarray(0, 999));
    await expect(verifyFile(path, { sha256: before.sha256, size: 1000 })).rejects.toThrow(
      /expected 1000 bytes, found 999/,
    );
  });
});
