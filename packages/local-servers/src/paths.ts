/** Where the local stack keeps its state: the Temporal DB file, S3 data, logs, pids (`relforge stack up`). */
import { join, resolve } from 'node:path';
import { workspaceRoot } from '@relforge/server-process';

export function stateDir(): string {
  return resolve(process.env['RELFORGE_STATE_DIR'] ?? join(workspaceRoot(), '.relforge'));
}
