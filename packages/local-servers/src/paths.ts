/**
 * Where the local servers' binaries, versions and state live. Everything is
 * found relative to the workspace root so the CLI works from any folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StackError } from '@relforge/errors';

export function workspaceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new StackError('could not find the Relforge workspace (no pnpm-workspace.yaml above this package)', {
        fix: 'run Relforge from a checkout of its repository',
      });
    }
    dir = parent;
  }
}

export function binDir(): string {
  return process.env['RELFORGE_BIN_DIR'] ?? join(workspaceRoot(), 'infra', '.bin');
}

/** Long-lived state of `relforge stack up`: the Temporal DB file, S3 data, logs, pids. */
export function stateDir(): string {
  return resolve(process.env['RELFORGE_STATE_DIR'] ?? join(workspaceRoot(), '.relforge'));
}

/**
 * `temporal` is the CLI with the dev server; `temporal-server` and `temporal-sql-tool` are the production server's;
 * `cosign` is the verifier the tests check Relforge's signed attestations with; `nats-server` keeps the release events.
 */
export type ServerBinary =
  'temporal' | 'versitygw' | 'temporal-server' | 'temporal-sql-tool' | 'cosign' | 'nats-server';

/** The path of a server built by `infra/install.sh`, or an error saying how to build it. */
export function serverBinary(name: ServerBinary): string {
  const path = join(binDir(), name);
  if (!existsSync(path)) {
    throw new StackError(`${name} is not built (looked for ${path})`, {
      fix: 'run `bash infra/install.sh` to build the servers from Go modules',
    });
  }
  return path;
}

/** The module@version recorded when the binary was built. */
export function builtVersion(name: ServerBinary): string | undefined {
  const stamp = join(binDir(), `${name}.version`);
  return existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
}
