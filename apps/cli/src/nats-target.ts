/**
 * Which NATS server the CLI reads release events and the audit trail from, and writes operator actions to:
 * RELFORGE_NATS_URL, else the local stack's. One place, so `events`, `audit` and the operator commands agree.
 */
import { InputError } from '@relforge/errors';
import { localDefaults } from './local-defaults.js';

/** RELFORGE_NATS_URL, else the local stack's NATS; undefined with neither. */
export function natsUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env['RELFORGE_NATS_URL'] || localDefaults()?.natsUrl;
}

/** The NATS server to read `what` from; with none, a refusal naming the variable and the stack. */
export function requireNatsUrl(what: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = natsUrl(env);
  if (url) return url;
  throw new InputError(`no NATS server to read ${what} from`, {
    fix: 'set RELFORGE_NATS_URL to the one your workers log to (RELFORGE_NATS_URL of the worker), or start the local stack with `relforge stack up`',
  });
}
