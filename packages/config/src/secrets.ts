/**
 * Reading a secret a config names (`{env}` or `{file}`) on the process that needs it: the worker, the notifier and the
 * gateway share this reader and each turns a problem into its own error and fix. Problems name the reference, never a
 * value.
 */
import { readFileSync } from 'node:fs';
import type { SecretRef } from './schema.js';

export type SecretRead =
  | { value: string }
  | { problem: 'unset'; variable: string }
  | { problem: 'unreadable'; file: string; code: string }
  | { problem: 'empty'; file: string };

/** Where a secret is read from, as messages name it. */
export function describeSecret(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

/** The secret's value (a file's trimmed), or why there is none; an empty variable counts as unset. */
export function readSecretRef(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): SecretRead {
  if ('env' in ref) {
    const value = env[ref.env];
    return value ? { value } : { problem: 'unset', variable: ref.env };
  }
  let value: string;
  try {
    value = readFileSync(ref.file, 'utf8').trim();
  } catch (error) {
    return { problem: 'unreadable', file: ref.file, code: (error as NodeJS.ErrnoException).code ?? 'unreadable' };
  }
  return value ? { value } : { problem: 'empty', file: ref.file };
}
