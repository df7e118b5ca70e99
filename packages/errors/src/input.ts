/**
 * Refused input as one `path: message` line per issue, e.g. `build.matrix[2].arch: expected one of x86_64, arm64`,
 * the way every Relforge error shows validation issues. Issues are taken by shape, not as zod's types, so this leaf
 * package depends on no validation library.
 */
import { InputError } from './errors.js';

/** What a line needs from a validation issue; zod's issues have this shape. */
export interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `build.matrix[2].arch[0]`: keys joined with dots, array indexes in brackets; `''` for the value itself. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/**
 * One `path: message` line per issue. An issue about the value as a whole is prefixed with `whole` when given
 * (`(value): expected an array`), and is its message alone when not, for callers that already named the value.
 */
export function issueLines(issues: readonly Issue[], whole?: string): string[] {
  return issues.map((issue) => {
    const path = formatIssuePath(issue.path) || whole;
    return path === undefined ? issue.message : `${path}: ${issue.message}`;
  });
}

/** The part of a schema `parseInput` uses; a zod schema is one. */
export interface InputSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly Issue[] } };
}

/** `value` as the schema parses it, or an InputError that says what was refused, one line per issue, and the fix. */
export function parseInput<T>(schema: InputSchema<T>, value: unknown, what: string, fix: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InputError(`${what} refused:\n${issueLines(result.error.issues, '(value)').join('\n')}`, { fix });
}
