/**
 * Where `relforge dispatch` and `relforge approve` send a request, and with whose GitHub token. A gateway given by
 * --gateway or RELFORGE_GATEWAY_URL is production's: the caller's own token is required. Without one it is the local
 * stack's gateway, and a caller with no token of their own acts as the stack's demo person, told so on stderr.
 */
import { InputError } from '@relforge/errors';
import { defaultListen } from '@relforge/gateway';
import { localDefaults } from './local-defaults.js';

/** The gateway's base URL, and whether it is the local stack's (nobody named one). */
export function gatewayUrl(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { url: string; stack: boolean } {
  const given = flag ?? (env['RELFORGE_GATEWAY_URL'] || undefined);
  if (given === undefined) return { url: localDefaults()?.gatewayUrl ?? `http://${defaultListen}`, stack: true };
  if (!URL.canParse(given) || !/^https?:$/.test(new URL(given).protocol))
    throw new InputError(`--gateway (RELFORGE_GATEWAY_URL): ${given} is not an http(s) URL`, {
      fix: "give the gateway's URL, e.g. --gateway https://relforge.example.org; without one, the local stack's is used",
    });
  return { url: given.replace(/\/+$/, ''), stack: false };
}

/**
 * The gateway and the token to send it. `why` says in the refusal what the token is for. The demo token is only ever
 * sent to the stack's own gateway, whose forge is the stand-in that made it; the token itself is never printed.
 */
export function gatewayCaller(
  flag: string | undefined,
  tokenEnv: string,
  why: string,
  env: NodeJS.ProcessEnv = process.env,
): { url: string; token: string } {
  const { url, stack } = gatewayUrl(flag, env);
  const own = env[tokenEnv];
  if (own) return { url, token: own };
  const demo = stack ? localDefaults()?.demoCaller() : undefined;
  if (demo) {
    console.error(
      `relforge: using the local stack's demo token for ${demo.login} (set ${tokenEnv} to act as yourself)`,
    );
    return { url, token: demo.token };
  }
  throw new InputError(`${tokenEnv} is not set: ${why}`, {
    fix: `export ${tokenEnv}=<your GitHub token> (e.g. \`gh auth token\`), or name another variable with --token-env; on the local stack (\`relforge stack up\`, no --gateway) its demo person's token is used`,
  });
}
