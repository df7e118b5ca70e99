/** Where the production server's config and scripts live (infra/production), and this package's commands. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binDir, workspaceRoot } from '@relforge/server-process';

export const productionDir = join(workspaceRoot(), 'infra', 'production');
/** The commands systemd and the README run, as files: `node <path>`. */
export const preflightMain = fileURLToPath(new URL('./preflight-main.js', import.meta.url));
export const namespaceMain = fileURLToPath(new URL('./namespace-main.js', import.meta.url));
/** The server's config folder: `production.yaml` (a template over TEMPORAL_* variables) and `dynamicconfig.yaml`. */
export const configDir = join(productionDir, 'config');
export const dynamicConfigFile = join(configDir, 'dynamicconfig.yaml');
export const certsScript = join(productionDir, 'certs.sh');
export const schemaScript = join(productionDir, 'schema.sh');

/** Where the server finds its config: `--root /` because `--config` is taken relative to the root. */
export const serverFlags = ['--root', '/', '--config', configDir, '--env', 'production'];
/** The arguments that start the server; systemd's unit runs the same. */
export const serverArgs = [...serverFlags, '--allow-no-auth', 'start'];

export type SchemaKind = 'temporal' | 'visibility';

/** The newest schema version copied from the server's module by infra/production/install.sh, e.g. "1.18". */
export function expectedSchemaVersion(kind: SchemaKind): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync(join(binDir(), 'temporal-schema', kind, 'versioned'));
  } catch {
    return undefined;
  }
  return versions
    .map((name) => name.replace(/^v/, ''))
    .sort(compareVersions)
    .at(-1);
}

export function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
