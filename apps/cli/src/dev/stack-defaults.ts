/** The local stack as the CLI's fallback servers (local-defaults.ts): what `relforge stack up` recorded, if it runs. */
import { readStackState, stackDemoCaller } from '@relforge/stack';
import type { LocalDefaults } from '../local-defaults.js';

export function stackDefaults(): LocalDefaults | undefined {
  const state = readStackState();
  if (!state) return undefined;
  return {
    temporal: state.temporal,
    ...(state.nats?.url ? { natsUrl: state.nats.url } : {}),
    ...(state.gateway?.url ? { gatewayUrl: state.gateway.url } : {}),
    demoCaller: () => {
      const demo = stackDemoCaller();
      return demo ? { login: demo.login, token: demo.token } : undefined;
    },
  };
}
