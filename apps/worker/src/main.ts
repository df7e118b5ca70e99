#!/usr/bin/env node
/**
 * The worker process as spawned by `relforge stack up`, systemd or a test: configured by its environment only
 * (RELFORGE_PROJECTS, RELFORGE_WORK_DIR, RELFORGE_BUILDS, RELFORGE_SERVE_RELEASES, RELFORGE_TEMPORAL_*,
 * RELFORGE_NATS_URL), the same settings `relforge worker` takes as flags.
 */
import { InputError, isRelforgeError } from '@relforge/errors';
import { runWorker } from './run.js';
import { workerSettings } from './settings.js';

// The AWS SDK release pinned in pnpm-workspace.yaml supports Node 20; its warning is about later
// releases, and printed on every command it would bury Relforge's own output. Set the variable to
// "false" to see it.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

try {
  await runWorker(await workerSettings({}, process.env));
} catch (error) {
  console.error(`relforge worker: ${error instanceof Error ? error.message : String(error)}`);
  if (isRelforgeError(error)) console.error(`  fix: ${error.fix}`);
  // The exit codes of `relforge` (docs/operating.md): bad input 2, Temporal unreachable 3, a bug 70.
  process.exit(error instanceof InputError ? 2 : isRelforgeError(error) ? 3 : 70);
}
