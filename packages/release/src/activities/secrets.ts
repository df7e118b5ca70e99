/**
 * Secrets are named in the config ({env} or {file}) and read here, on the
 * worker, when an activity needs one. Values never go into workflow input,
 * history, logs or messages: errors name the reference, not the value.
 */
import { describeSecret, readSecretRef, type SecretRef } from '@relforge/config';
import { ReleaseFailureType } from '../shared.js';
import { PermanentError } from './failures.js';

export function resolveSecret(ref: SecretRef, field: string, env: NodeJS.ProcessEnv = process.env): string {
  const read = readSecretRef(ref, env);
  if ('value' in read) return read.value;
  const refused = (problem: string, fix: string) =>
    new PermanentError(ReleaseFailureType.SecretError, `${field}: ${describeSecret(ref)} ${problem}`, { fix });
  switch (read.problem) {
    case 'unset':
      throw refused(
        'is not set on the worker',
        `set ${read.variable} in the worker's environment, restart the worker, then resume the release`,
      );
    case 'unreadable':
      throw refused(
        `cannot be read on the worker (${read.code})`,
        `create ${read.file} on the worker, readable by its user, then resume the release`,
      );
    case 'empty':
      throw refused('is empty', `write the secret into ${read.file} on the worker, then resume the release`);
  }
}
