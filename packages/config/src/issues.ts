/**
 * Zod issues as one line each, `path: message` (laid out by @relforge/errors, as every Relforge error is), for a
 * person fixing a config file. Messages say what was expected, suggest the key a typo meant, and never quote the
 * value found: a config may hold a pasted secret, and errors end up in terminals and CI logs.
 */
import { issueLines } from '@relforge/errors';
import { z } from 'zod';

/** Edit distance counting a swap of neighbours as one edit, the commonest typo. */
function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const table: number[] = [];
  const cell = (i: number, j: number) => table[i * width + j] ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      let best =
        i === 0 || j === 0
          ? i + j
          : Math.min(cell(i - 1, j) + 1, cell(i, j - 1) + 1, cell(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, cell(i - 2, j - 2) + 1);
      table[i * width + j] = best;
    }
  }
  return cell(a.length, b.length);
}

/** The known word a typo most likely meant: at most two edits away, and not a rewrite of a short word. */
export function closestMatch(word: string, known: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && distance < candidate.length && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}

const didYouMean = (word: unknown, known: readonly string[]) => {
  const match = typeof word === 'string' ? closestMatch(word, known) : undefined;
  return match === undefined ? '' : ` (did you mean ${match}?)`;
};

const expectedTypes: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

function kindOf(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

const counted = (count: number | bigint, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * Messages for issues whose schema sets none. Pass it as `error` when parsing; messages set on a schema take
 * precedence, so a schema can always say something more specific.
 */
export const configErrorMap: z.ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'required'
        : `expected ${expectedTypes[issue.expected] ?? issue.expected}, got ${kindOf(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `list at least ${counted(issue.minimum, 'item')}`;
      if (issue.origin === 'string')
        return issue.minimum === 1 ? 'must not be empty' : `must be at least ${counted(issue.minimum, 'character')}`;
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}`;
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map(String).join(', ')}${didYouMean(issue.input, issue.values.map(String))}`;
    case 'unrecognized_keys': {
      const known = issue.inst instanceof z.ZodObject ? Object.keys(issue.inst.shape) : [];
      const keys = issue.keys.map((key) => `${key}${didYouMean(key, known)}`);
      return `unknown key${keys.length === 1 ? '' : 's'} ${keys.join(', ')}`;
    }
    case 'invalid_format':
      return issue.format === 'url' ? 'expected a URL' : `expected the ${issue.format} format`;
    default:
      return 'is not valid here';
  }
};

/**
 * Whether a union branch's issues are those of an input that was meant for that branch: nothing missing or
 * unexpected at the branch's own level, only problems further in.
 */
function branchFits(issues: readonly z.core.$ZodIssue[]): boolean {
  return !issues.some(
    (issue) =>
      (issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'unrecognized_keys')) ||
      (issue.path.length === 1 && issue.input === undefined),
  );
}

/**
 * One line per issue. A union the input failed is reported through the one branch the input was evidently meant
 * for, so `forge.auth` with a bad token says what is wrong with the token; when no single branch fits, the union's
 * own message stands. Telling "missing" from "wrong" needs the issues' inputs: parse with `reportInput: true`.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], parentPath: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...parentPath, ...issue.path];
    if (issue.code === 'invalid_union') {
      const [fitting, ...others] = issue.errors.filter(branchFits);
      if (fitting !== undefined && others.length === 0) return formatIssues(fitting, path);
    }
    return issueLines([{ path, message: issue.message }]);
  });
}
