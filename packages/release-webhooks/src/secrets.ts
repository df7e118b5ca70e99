/**
 * A receiver's signing secret, read on the notifier from where the config names it. Errors name the reference and the
 * field, never the value.
 */
import { describeSecret, readSecretRef, type SecretRef } from '@relforge/config';
import { InputError } from '@relforge/errors';

export function readSecret(ref: SecretRef, field: string, env: NodeJS.ProcessEnv = process.env): string {
  const read = readSecretRef(ref, env);
  if ('value' in read) return read.value;
  const refused = (problem: string, fix: string) =>
    new InputError(`${field}: ${describeSecret(ref)} ${problem}`, { fix });
  switch (read.problem) {
    case 'unset':
      throw refused(
        'is not set',
        `set ${read.variable} in the notifier's environment to the receiver's signing secret (whsec_…), then start it again`,
      );
    case 'unreadable':
      throw refused(
        `cannot be read (${read.code})`,
        `write the receiver's signing secret (whsec_…) into ${read.file}, readable by the notifier's user`,
      );
    case 'empty':
      throw refused('is empty', `write the receiver's signing secret (whsec_…) into ${read.file}`);
  }
}
