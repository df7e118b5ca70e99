/**
 * SHA-256 and SHA-512 of a release file in one streaming read, and the re-read that proves a file is still the one
 * that was checksummed.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { RelforgeError } from '@relforge/errors';

export interface FileDigest {
  size: number;
  /** Lower-case hex. */
  sha256: string;
  /** Lower-case hex. */
  sha512: string;
}

export interface DigestOptions {
  /** Checked between chunks: an aborted read stops within one chunk and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Bytes read so far, after every chunk; an activity heartbeats with it. */
  onProgress?(bytes: number): void;
}

/**
 * One buffer, reused for every read, is what keeps memory flat whatever the file size. From 1 MiB up the cost per
 * read no longer shows in the throughput.
 */
const chunkSize = 1024 * 1024;

/**
 * Both digests are fed from the same chunk on one thread. SHA-512 on a worker thread, fed through a
 * SharedArrayBuffer ring, was measured and left out: SHA-512 alone is the bound (OpenSSL runs SHA-256 on the CPU's
 * SHA extensions at about 3× the speed of SHA-512), so a second thread can win a third at most; on the shared
 * 2-core machine it won nothing measurable and cost a second V8 isolate (+15 MiB). `pnpm bench` has the figures.
 */
export async function digestFile(path: string, options: DigestOptions = {}): Promise<FileDigest> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const sha256 = createHash('sha256');
  const sha512 = createHash('sha512');
  const buffer = Buffer.allocUnsafe(chunkSize);
  let size = 0;
  const file = await open(path, 'r');
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await file.read(buffer, 0, chunkSize, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      sha256.update(chunk);
      sha512.update(chunk);
      size += bytesRead;
      onProgress?.(size);
    }
  } finally {
    await file.close();
  }
  return { size, sha256: sha256.digest('hex'), sha512: sha512.digest('hex') };
}

/** A file's bytes are not the ones that were checksummed: corrupted in transfer, or changed since. */
export class ChecksumMismatchError extends RelforgeError {
  constructor(
    readonly file: string,
    readonly expected: { sha256: string; size?: number },
    readonly actual: FileDigest,
  ) {
    const sizeNote =
      expected.size !== undefined && expected.size !== actual.size
        ? ` (expected ${expected.size} bytes, found ${actual.size})`
        : '';
    super(`${file} does not match its checksum${sizeNote}: expected sha256 ${expected.sha256}, got ${actual.sha256}`, {
      fix: `${file} changed or was damaged after it was checksummed; rebuild or re-download it, then run the checksum step again`,
    });
  }
}

/** Re-reads `path` and throws ChecksumMismatchError unless its SHA-256 (and size, when given) match. */
export async function verifyFile(
  path: string,
  expected: { sha256: string; size?: number },
  options: DigestOptions = {},
): Promise<FileDigest> {
  const actual = await digestFile(path, options);
  const sizeMatches = expected.size === undefined || expected.size === actual.size;
  if (!sizeMatches || actual.sha256 !== expected.sha256.toLowerCase()) {
    throw new ChecksumMismatchError(path, expected, actual);
  }
  return actual;
}
