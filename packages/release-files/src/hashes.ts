/**
 * The checksum repository's hashes file (valkey-hashes' README): comment lines, then one
 * `hash <file> sha256 <hex> <url>` line per published file. A published file's digest is a promise to everyone
 * who verifies a download, so a merge only ever appends: it never rewrites or reorders a line.
 */
import { z } from 'zod';
import { InputError, RelforgeError, parseInput } from '@relforge/errors';
import { DownloadUrl, Sha256Hex } from './shapes.js';

export const HashEntry = z.strictObject({
  file: z.string().regex(/^[^\s/]+$/, 'expected a file name without whitespace or "/"'),
  sha256: Sha256Hex,
  url: DownloadUrl,
});
export type HashEntry = z.infer<typeof HashEntry>;

export interface HashesConflict {
  file: string;
  /** Every distinct sha256 the file already records for it, in file order: two or more when it is already split. */
  existing: string[];
  incoming: string;
}

export interface HashesMerge {
  /** The merged file; byte-for-byte the input when nothing was added. */
  text: string;
  /** File names appended, in the order given. */
  added: string[];
  /** File names already recorded with the same digest (the URL is not compared). */
  unchanged: string[];
  /** File names left untouched because their digest differs; the caller must not publish `text` over them. */
  conflicts: HashesConflict[];
}

/** A released file would get a second digest; naming the file and the digests is what the release engineer needs. */
export class HashesConflictError extends RelforgeError {
  constructor(
    readonly file: string,
    readonly existing: readonly string[],
    readonly incoming: string,
  ) {
    const recorded =
      existing.length > 1
        ? `already records ${existing.length} different sha256 digests (${existing.join(', ')})`
        : `records sha256 ${existing.join('')}`;
    super(`${file}: the hashes file ${recorded}; this release computed ${incoming}`, {
      fix: 'a published file must keep its digest: find out why the file differs (rebuilt? replaced?), release it under a new version, and correct the hashes file by a reviewed hand edit if a recorded digest is wrong',
    });
  }
}

/** The hashes file has a `hash` line that is not `hash <file> <algo> <digest> <url>`. */
export class HashesFormatError extends RelforgeError {}

const hashLine = /^hash[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+)[ \t]*$/;

/** A `hash` line as a reader of the checksum repository sees it. */
export interface HashLine {
  file: string;
  algorithm: string;
  digest: string;
  url: string;
}

/** The well-formed `hash` lines of a hashes file, in order; anything else in the file is prose for people. */
export function readHashLines(text: string): HashLine[] {
  return text.split(/\r?\n/).flatMap((line) => {
    const [, file, algorithm, digest, url] = hashLine.exec(line) ?? [];
    return file && algorithm && digest && url ? [{ file, algorithm, digest: digest.toLowerCase(), url }] : [];
  });
}

/** Lines with their own terminators, so that joining them gives back the exact input. */
function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

export function mergeHashes(existingText: string, entries: readonly HashEntry[]): HashesMerge {
  const incoming = parseInput(
    z.array(HashEntry),
    entries,
    'hashes entries',
    'pass the published file names, their sha256 and download URLs',
  );
  const lines = splitLines(existingText);
  const recorded = new Map<string, string[]>();
  let lastHashLine = -1;
  lines.forEach((line, index) => {
    const content = line.replace(/\r?\n$/, '');
    if (!/^hash\s/.test(content)) return;
    const [, file = '', algorithm, digest = ''] = hashLine.exec(content) ?? [];
    if (file === '') {
      throw new HashesFormatError(
        `hashes file line ${index + 1} is not "hash <file> <algo> <digest> <url>": ${JSON.stringify(content)}`,
        {
          fix: 'fix that line in the checksum repository by hand, then run the checksum-repo step again',
        },
      );
    }
    lastHashLine = index;
    // Other algorithms would be listed alongside; only sha256 lines say what a file's sha256 is.
    if (algorithm !== 'sha256') return;
    const digests = recorded.get(file) ?? [];
    if (!digests.includes(digest.toLowerCase())) digests.push(digest.toLowerCase());
    recorded.set(file, digests);
  });

  const added: HashEntry[] = [];
  const unchanged: string[] = [];
  const conflicts: HashesConflict[] = [];
  const seen = new Map<string, string>();
  for (const entry of incoming) {
    const earlier = seen.get(entry.file);
    if (earlier === entry.sha256) continue;
    if (earlier !== undefined) {
      throw new InputError(`${entry.file} is given twice with different digests (${earlier}, ${entry.sha256})`, {
        fix: 'give each released file one sha256: digest the files once and pass that list',
      });
    }
    seen.set(entry.file, entry.sha256);
    const existing = recorded.get(entry.file);
    if (!existing) added.push(entry);
    else if (existing.length === 1 && existing[0] === entry.sha256) unchanged.push(entry.file);
    else conflicts.push({ file: entry.file, existing, incoming: entry.sha256 });
  }

  const result = { added: added.map((entry) => entry.file), unchanged, conflicts };
  if (added.length === 0) return { text: existingText, ...result };
  const anchor = lines[lastHashLine];
  const eol = anchor?.endsWith('\r\n') ? '\r\n' : '\n';
  const newLines = added.map((entry) => `hash ${entry.file} sha256 ${entry.sha256} ${entry.url}`);
  if (anchor === undefined) {
    const separator = existingText === '' || existingText.endsWith('\n') ? '' : eol;
    return { text: existingText + separator + newLines.map((line) => line + eol).join(''), ...result };
  }
  // A last hash line without a newline keeps the file ending without one.
  lines[lastHashLine] = anchor.endsWith('\n')
    ? anchor + newLines.map((line) => line + eol).join('')
    : [anchor, ...newLines].join(eol);
  return { text: lines.join(''), ...result };
}
