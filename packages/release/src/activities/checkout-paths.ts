/**
 * Files of a repository checkout, found the way the file system will find them, before a stage reads or writes
 * one. What a repository holds is not Relforge's: a symlink committed there can lead to /etc/passwd, to another
 * release's folder on the worker or into .git, and reading through it would commit the worker's files to a
 * repository, writing through it would change them. The config's paths are checked when it is read; this checks
 * where they really lead, symlinks followed, and never opens a file to do it.
 */
import { readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ReleaseFailureType } from '../shared.js';
import { PermanentError } from './failures.js';

/** Linux gives up after 40 symlinks on one path (ELOOP); so does this. */
const maxSymlinks = 40;

/** A path of the config, named for the person who must fix it. */
export interface CheckoutPath {
  /** The repository, "owner/name", and the branch checked out. */
  repository: string;
  branch: string;
  /** The config field the path comes from, e.g. "containerRepo.templates[0].template". */
  field: string;
  /** The path as the config (or a name made from it) gives it, from the top of the checkout. */
  path: string;
  /** What the stage does with it, for the message: "read" or "write". */
  use: 'read' | 'write';
}

/** The link's text, or undefined when `path` is no symlink: a file, a folder, or nothing yet. */
async function linkAt(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EINVAL' || code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

interface Walked {
  /** Where the path really leads: every symlink on it followed, also when its last parts do not exist yet. */
  real: string;
  /** The first symlink on the way, from the top of the checkout. */
  firstLink?: string;
  loops: boolean;
}

/**
 * Follows `path` from `top` part by part, as the kernel would: a symlink's text replaces it ("/" starts again at
 * the root), ".." goes to the parent of where the walk really is. Only links are read, never a file.
 */
async function walk(top: string, path: string): Promise<Walked> {
  const pending = path.split('/');
  let current = top;
  let firstLink: string | undefined;
  let followed = 0;
  for (let part = pending.shift(); part !== undefined; part = pending.shift()) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    const link = await linkAt(next);
    if (link === undefined) {
      current = next;
      continue;
    }
    firstLink ??= relative(top, next);
    if (++followed > maxSymlinks) return { real: next, firstLink, loops: true };
    pending.unshift(...link.split('/'));
    if (isAbsolute(link)) current = '/';
  }
  return { real: current, ...(firstLink === undefined ? {} : { firstLink }), loops: false };
}

const isWithin = (top: string, path: string) => path === top || path.startsWith(`${top}${sep}`);

/**
 * The real path of `file.path` in the checkout at `checkout`, for the stage to read or write; a PermanentError
 * naming the file and the fix when it leads out of the checkout or into its .git folder.
 */
export async function pathInCheckout(checkout: string, file: CheckoutPath): Promise<string> {
  const top = await realpath(checkout);
  const { real, firstLink, loops } = await walk(top, file.path);
  const inside = isWithin(top, real);
  const inGit = inside && relative(top, real).split(sep)[0]?.toLowerCase() === '.git';
  if (inside && !inGit && !loops) return real;

  const where = `${file.path} (${file.field}) in ${file.repository} on ${file.branch}`;
  const problem = loops
    ? `goes round more than ${maxSymlinks} symlinks`
    : inGit
      ? "leads into the checkout's .git folder"
      : 'leads out of the repository';
  const through = firstLink === undefined ? '' : ` through the symlink ${firstLink}`;
  throw new PermanentError(
    ReleaseFailureType.InputError,
    `${where} ${problem}${through}; Relforge did not ${file.use} it`,
    {
      fix:
        firstLink === undefined
          ? `point ${file.field} at a path inside the repository, then resume the release`
          : `replace the symlink ${firstLink} in ${file.repository} with the file itself (or a link inside the repository), or point ${file.field} at another path, then resume the release`,
    },
  );
}
