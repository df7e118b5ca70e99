/**
 * A receiver's signing secret, read on the notifier from where the config names it. Errors name the reference and the
 * field, never the value.
 */
import { readFileSync } from 'node:fs';
import type { SecretRef } from '@relforge/config';
import { InputError } from '@relforge/errors';

export function readSecret(ref: SecretRef, field: string, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value) return value;
    throw new InputError(`${field}: environment variable ${ref.env} is not set`, {
      fix: `set ${ref.env} in the notifier's environment to the receiver's signing secret (whsec_…), then start it again`,
    });
  }
  let value: string;
  try {
    value = readFileSync(ref.file, 'utf8').trim();
  } catch (error) {
    throw new InputError(`${field}: file ${ref.file} cannot be read (${(error as NodeJS.ErrnoException).code})`, {
      fix: `write the receiver's signing secret (whsec_…) into ${ref.file}, readable by the notifier's user`,
    });
  }
  if (value) return value;
  throw new InputError(`${field}: file ${ref.file} is empty`, {
    fix: `write the receiver's signing secret (whsec_…) into ${ref.file}`,
  });
}
