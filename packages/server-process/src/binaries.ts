/**
 * Where this checkout's servers are: the Go-built binaries `infra/install.sh` puts in `infra/.bin` (or
 * `RELFORGE_BIN_DIR`), and the checkout itself, found from this file's own place in it (packages/server-process/src or
 * dist), so a systemd unit or a CLI run from any folder finds the same checkout without any workspace file above it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from '@relforge/errors';

/** The checkout this package belongs to. */
export function workspaceRoot(): string {
  const root = join(import.meta.dirname, '..', '..', '..');
  if (!existsSync(join(root, 'infra', 'versions.env'))) {
    throw new StackError(`could not find the Relforge checkout (no infra/versions.env in ${root})`, {
      fix: 'run Relforge from a checkout of its repository, where `bash infra/bootstrap.sh setup` built it',
    });
  }
  return root;
}

export function binDir(): string {
  return process.env['RELFORGE_BIN_DIR'] ?? join(workspaceRoot(), 'infra', '.bin');
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
