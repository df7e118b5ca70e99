/**
 * Git's rules for the names of branches and tags (`git check-ref-format`, plus what `git branch` and `git tag` add),
 * checked here rather than by running git: the config is validated where git may not be installed, and before a
 * name can reach a git command line, where a leading "-" would be read as an option.
 */

export type RefKind = 'branch' | 'tag' | 'ref';

const forbiddenCharacters: [pattern: RegExp, description: string][] = [
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rule looks for
  [/[\u0000-\u001f\u007f]/, 'a control character'],
  [/ /, 'a space'],
  [/~/, '"~"'],
  [/\^/, '"^"'],
  [/:/, '":"'],
  [/\?/, '"?"'],
  [/\*/, '"*"'],
  [/\[/, '"["'],
  [/\\/, '"\\"'],
];

/**
 * Why `name` cannot be a git branch or tag name, or undefined when it can. In the order git documents them, these
 * are the rules of `git check-ref-format` for the part after "refs/heads/" or "refs/tags/":
 *  1. no "/"-separated part begins with "." or ends with ".lock";
 *  2. (a "/" somewhere: given by the "refs/heads/" or "refs/tags/" prefix, so not asked of the name);
 *  3. no ".." anywhere;
 *  4. no control character, space, "~", "^" or ":";
 *  5. no "?", "*" or "[";
 *  6. does not begin or end with "/", and has no "//";
 *  7. does not end with ".";
 *  8. no "@{";
 *  9. is not "@" alone (git asks it of the whole "refs/..." name; asked of the short name here, since a command
 *     line reads a lone "@" as HEAD);
 *  10. no "\".
 * `git branch` and `git tag` also refuse a name beginning with "-", and `git branch` refuses "HEAD".
 */
export function refNameProblem(name: string, kind: RefKind): string | undefined {
  if (name === '') return 'must not be empty';
  if (name.startsWith('-')) return 'must not begin with "-", which git would read as an option';
  for (const [pattern, description] of forbiddenCharacters) {
    if (pattern.test(name)) return `must not contain ${description}`;
  }
  if (name.includes('..')) return 'must not contain ".."';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//'))
    return 'must not begin or end with "/", or have "//"';
  const parts = name.split('/');
  if (parts.some((part) => part.startsWith('.'))) return 'must have no part between "/" that begins with "."';
  if (parts.some((part) => part.endsWith('.lock'))) return 'must have no part between "/" that ends with ".lock"';
  if (name.endsWith('.')) return 'must not end with "."';
  if (name.includes('@{')) return 'must not contain "@{"';
  if (name === '@') return 'must not be "@" alone';
  if (kind !== 'tag' && name === 'HEAD') return 'must not be "HEAD", which git reads as the checked-out commit';
  return undefined;
}
