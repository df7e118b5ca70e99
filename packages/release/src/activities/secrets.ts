/**
 * Secrets are named in the config ({env} or {file}) and read here, on the
 * worker, when an activity needs one. Values never go into workflow input,
 * history, logs or messages: errors name the reference, not the value.
 */
import { readFileSync } from 'node:fs';
import type { SecretRef } from '@relforge/config';
import { ReleaseFailureType } from '../shared.js';
import { PermanentError } from './failures.js';

export function describeSecret(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

export function resolveSecret(ref: SecretRef, field: string, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) {
      throw new PermanentError(
        ReleaseFailureType.SecretError,
        `${field}: ${describeSecret(ref)} is not set on the worker`,
        {
          fix: `set ${ref.env} in the worker's environment, restart the worker, then resume the release`,
        },
      );
    }
    return value;
  }
  try {
    const value = readFileSync(ref.file, 'utf8').trim();
    if (value) return value;
  } catch (error) {
    throw new PermanentError(
      ReleaseFailureType.SecretError,
      `${field}: ${describeSecret(ref)} cannot be read on the worker (${(error as NodeJS.ErrnoException).code})`,
      {
        fix: `create ${ref.file} on the worker, readable by its user, then resume the release`,
      },
    );
  }
  throw new PermanentError(ReleaseFailureType.SecretError, `${field}: ${describeSecret(ref)} is empty`, {
    fix: `write the secret into ${ref.file} on the worker, then resume the release`,
  });
}
