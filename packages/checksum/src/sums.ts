/**
 * The checksum files a release publishes, in the format GNU `sha256sum`/`sha512sum` print and `-c` checks:
 * one `<hex>  <file name>` line per file. A per-file sidecar sits next to each artifact; one combined file per
 * algorithm covers the whole release.
 */
import { z } from 'zod';
import { InputError, RelforgeError, parseInput } from '@relforge/errors';

export type ChecksumAlgorithm = 'sha256' | 'sha512';

const hexLength: Record<ChecksumAlgorithm, number> = { sha256: 64, sha512: 128 };

const hexDigest = (algorithm: ChecksumAlgorithm) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-f]{${hexLength[algorithm]}}$`), `expected ${hexLength[algorithm]} lower-case hex digits`);

/**
 * A file name as the checksum files list it: the artifact's own name, checked from the folder it was downloaded
 * to. GNU tools escape names holding a backslash or a line break (the line then starts with `\`), which older
 * checkers and people reading the file get wrong, so such names are refused instead.
 */
export const ChecksumFileName = z
  .string()
  .min(1, 'expected a file name')
  .refine((name) => !/[/\\\r\n]/.test(name), 'expected a plain file name without "/", "\\" or line breaks');

/** One file's digest for the algorithm of the file being written. */
export const ChecksumEntry = z.strictObject({ file: ChecksumFileName, digest: z.string() });
export type ChecksumEntry = z.infer<typeof ChecksumEntry>;

const passDigests = 'pass the digests digestFile returned and the artifact file names as published';

function line(digest: string, fileName: string): string {
  return `${digest}  ${fileName}\n`;
}

/** `<sha256 hex>  <fileName>\n`: the `<artifact>.sha256` file next to each artifact. */
export function sidecarText(sha256: string, fileName: string): string {
  const input = parseInput(
    z.strictObject({ sha256: hexDigest('sha256'), fileName: ChecksumFileName }),
    { sha256, fileName },
    'sidecar checksum',
    passDigests,
  );
  return line(input.sha256, input.fileName);
}

/** One line per file, sorted by file name so that the same release always writes the same bytes. */
export function checksumsText(entries: readonly ChecksumEntry[], algorithm: ChecksumAlgorithm): string {
  const name = `${algorithm.toUpperCase()}SUMS`;
  const schema = z.array(ChecksumEntry.extend({ digest: hexDigest(algorithm) }));
  const valid = parseInput(schema, entries, `${name} entries`, passDigests);
  const seen = new Set<string>();
  for (const { file } of valid) {
    if (seen.has(file)) {
      throw new InputError(`${file} is listed twice in the ${name} entries`, {
        fix: 'give every artifact of a release a distinct file name',
      });
    }
    seen.add(file);
  }
  // Code-unit order, not localeCompare: the order must not depend on the locale of the worker that writes it.
  const sorted = [...valid].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return sorted.map((entry) => line(entry.digest, entry.file)).join('');
}

export function checksumFileNames(project: string, version: string): Record<ChecksumAlgorithm, string> {
  parseInput(
    z.strictObject({ project: ChecksumFileName, version: ChecksumFileName }),
    { project, version },
    'checksum file names',
    'pass the project name and release version from the config and the release input',
  );
  return { sha256: `${project}-${version}-SHA256SUMS`, sha512: `${project}-${version}-SHA512SUMS` };
}

export interface ParsedChecksum {
  fileName: string;
  /** Told apart by the digest's length, as `sha256sum -c` and `sha512sum -c` would only accept their own. */
  algorithm: ChecksumAlgorithm;
  /** Lower-case hex. */
  digest: string;
}

/** A checksum file has lines `sha256sum -c` would not accept; every such line is named. */
export class ChecksumsFormatError extends RelforgeError {
  constructor(readonly problems: readonly string[]) {
    super(`not a sha256sum/sha512sum checksum file:\n${problems.join('\n')}`, {
      fix: 'regenerate the file with sha256sum or sha512sum (lines "<hex digest>  <file name>"), or fix the lines named above',
    });
  }
}

const checksumLine = /^([0-9A-Fa-f]+) ([ *])(.*)$/;

/**
 * Reads GNU `sha256sum`/`sha512sum` output, text (`  `) or binary (` *`) mode. Blank lines are skipped; anything
 * else that is not a checksum line is an error, so a damaged file is never half-trusted.
 */
export function parseChecksumsText(text: string): ParsedChecksum[] {
  const parsed: ParsedChecksum[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start an empty one.
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, index) => {
    const where = `line ${index + 1}`;
    if (raw.trim() === '') return;
    if (raw.endsWith('\r')) {
      problems.push(
        `${where}: ends with a carriage return (CRLF); sha256sum -c would look for a file name ending in "\\r"`,
      );
      return;
    }
    if (raw.startsWith('\\')) {
      problems.push(`${where}: escaped file names (a line starting with "\\") are not supported`);
      return;
    }
    const match = checksumLine.exec(raw);
    const [, hex = '', , fileName = ''] = match ?? [];
    if (!match || fileName === '') {
      problems.push(`${where}: expected "<hex digest>  <file name>", got ${JSON.stringify(raw)}`);
      return;
    }
    const algorithm = hex.length === 64 ? 'sha256' : hex.length === 128 ? 'sha512' : undefined;
    if (!algorithm) {
      problems.push(`${where}: the digest has ${hex.length} hex digits; expected 64 (sha256) or 128 (sha512)`);
      return;
    }
    if (seen.has(fileName)) {
      problems.push(`${where}: ${fileName} is listed a second time`);
      return;
    }
    seen.add(fileName);
    parsed.push({ fileName, algorithm, digest: hex.toLowerCase() });
  });
  if (problems.length > 0) throw new ChecksumsFormatError(problems);
  return parsed;
}
