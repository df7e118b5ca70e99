/**
 * `${NAME}` and `${NAME:-default}` in the config's addresses, so one config
 * file serves any port a stack runs on. Only address fields expand: the
 * parsed config is kept in workflow history, and an expanded secret would
 * land there — secrets are named with `{env}` / `{file}` instead.
 */
import { InputError } from '@relforge/errors';

export const expandableFields = [
  ['forge', 'apiUrl'],
  ['forge', 'gitUrl'],
  ['publish', 's3', 'endpoint'],
  ['publish', 's3', 'publicBaseUrl'],
] as const;

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function expandText(text: string, field: string, source: string, env: NodeJS.ProcessEnv): string {
  return text.replace(reference, (_, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    throw new InputError(`${source}: ${field} uses \${${name}}, which is not set`, {
      fix: `set ${name} in the environment, or give a default: \${${name}:-value}`,
    });
  });
}

/** Expands the address fields of a parsed (not yet validated) config in place. */
export function expandAddresses(value: unknown, source: string, env: NodeJS.ProcessEnv): unknown {
  for (const path of expandableFields) {
    let parent: unknown = value;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string, unknown> | null)?.[key];
    const leaf = path[path.length - 1] as string;
    if (typeof parent !== 'object' || parent === null) continue;
    const record = parent as Record<string, unknown>;
    const current = record[leaf];
    if (typeof current === 'string') record[leaf] = expandText(current, path.join('.'), source, env);
  }
  return value;
}
