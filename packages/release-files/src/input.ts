/** Validation of what callers pass in: zod issues become one `path: message` line each, in an InputError. */
import type { z } from 'zod';
import { InputError } from '@relforge/errors';

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index > 0 ? '.' : ''}${String(key)}`))
    .join('');
}

export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string, fix: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${pathOf(issue.path) || '(value)'}: ${issue.message}`);
  throw new InputError(`${what} refused:\n${lines.join('\n')}`, { fix });
}
