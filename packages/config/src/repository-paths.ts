/**
 * Paths the config names inside a repository, and the S3 prefix: each must stay where it belongs. A repository
 * path is read from or written to a checkout on the worker and committed, so one that climbs out with "..", starts
 * at "/" or reaches into .git would touch the worker's own files or git's. The release stages check the real path
 * again in the checkout, where a symlink can lead out too; this is the check a person gets while writing the file.
 */

/** What a repository path names, for messages: `the container repository`, and an example that fits the field. */
export interface PathPlace {
  repository: string;
  example: string;
  /** A folder rather than a file, for the message about a path naming the repository's top. */
  folder?: boolean;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this rule looks for
const controlCharacter = /[\u0000-\u001f\u007f]/;

/**
 * Why `path` cannot name a file (or folder) inside a repository, or undefined when it can: it must be relative,
 * "/"-separated, free of control characters, of ".." and of a ".git" part (in any case: git refuses those too,
 * since case-insensitive file systems read ".GIT" as ".git"), and name something below the repository's top.
 */
export function repositoryPathProblem(path: string, place: PathPlace): string | undefined {
  const example = `e.g. "${place.example}"`;
  const kind = place.folder ? 'folder' : 'file';
  if (controlCharacter.test(path)) return 'holds a control character (a NUL, tab or newline, say); remove it';
  if (path.includes('\\'))
    return `uses "\\", which git does not read as a folder separator; separate folders with "/", ${example}`;
  if (path.startsWith('/')) return `is an absolute path; write it from the top of ${place.repository}, ${example}`;
  const parts = path.split('/');
  if (parts.includes('..'))
    return `climbs out with ".."; write it from the top of ${place.repository}, without "..", ${example}`;
  if (parts.some((part) => part.toLowerCase() === '.git'))
    return `reaches into .git, git's own folder, which a release leaves alone; name a ${kind} of the work tree, ${example}`;
  if (parts.every((part) => part === '' || part === '.'))
    return `names the top of ${place.repository} itself; name a ${kind} inside it, ${example}`;
  return undefined;
}

/**
 * Why `prefix` cannot start S3 keys, or undefined when it can. S3 takes a key as it is, but every URL made from it
 * (the download links in hash lines, Dockerfiles and the website) is resolved by the client, which drops "." and
 * folds ".." and "//": a link would point at another object than the one uploaded.
 */
export function s3PrefixProblem(prefix: string): string | undefined {
  if (controlCharacter.test(prefix)) return 'holds a control character (a NUL, tab or newline, say); remove it';
  const parts = prefix.split('/').slice(0, -1);
  if (parts.includes('..') || parts.includes('.'))
    return 'has a "." or ".." part, which a download URL would resolve away; drop it, e.g. "releases/"';
  if (parts.includes(''))
    return 'has an empty part ("//"), which a download URL would fold away; drop it, e.g. "releases/"';
  return undefined;
}
