/**
 * Which Temporal service the CLI talks to: RELFORGE_TEMPORAL_* variables (with mTLS for a production cluster), else
 * the local stack `relforge stack up` started, else Temporal's default address.
 */
import {
  connectClient,
  temporalSettingsFromEnv,
  type ConnectedClient,
  type TemporalSettings,
} from '@relforge/temporal-connection';
import { localDefaults } from './local-defaults.js';

export interface TemporalTarget extends TemporalSettings {
  /** The Web UI, for links in the output: the stack's, or RELFORGE_UI_URL. */
  uiUrl?: string;
}

export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const stack = localDefaults()?.temporal;
  const settings = temporalSettingsFromEnv(env, stack ?? {});
  const uiUrl = env['RELFORGE_UI_URL'] || (stack?.address === settings.address ? stack.uiUrl : undefined);
  return { ...settings, ...(uiUrl ? { uiUrl } : {}) };
}

export function connect(target: TemporalTarget): Promise<ConnectedClient> {
  return connectClient(
    target,
    'start the local stack with `relforge stack up`, or set RELFORGE_TEMPORAL_ADDRESS (and RELFORGE_TEMPORAL_TLS_* for mTLS) to your Temporal service',
  );
}
