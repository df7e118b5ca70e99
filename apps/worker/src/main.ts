#!/usr/bin/env node
/**
 * The worker process. Connects to RELFORGE_TEMPORAL_ADDRESS (or the local stack
 * that `relforge stack up` started) and serves the `relforge` task queue until
 * SIGTERM or SIGINT, when it finishes in-flight tasks and exits.
 */
import { NativeConnection } from '@temporalio/worker';
import { join } from 'node:path';
import { isRelforgeError } from '@relforge/errors';
import { stateDir } from '@relforge/local-servers';
import { readStackState } from '@relforge/stack';
import { loadProjects, projectConfigPaths } from './projects.js';
import { createRelforgeWorker, parseBuildTargets, projectPlatforms } from './worker.js';

// The AWS SDK release pinned in pnpm-workspace.yaml supports Node 20; its warning is about later
// releases, and printed on every command it would bury Relforge's own output. Set the variable to
// "false" to see it.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

async function main(): Promise<void> {
  const stack = readStackState();
  const address = process.env['RELFORGE_TEMPORAL_ADDRESS'] ?? stack?.temporal.address ?? '127.0.0.1:7233';
  const namespace = process.env['RELFORGE_NAMESPACE'] ?? stack?.temporal.namespace ?? 'relforge';
  const projects = await loadProjects(projectConfigPaths());
  const workRoot = process.env['RELFORGE_WORK_DIR'] ?? join(stateDir(), 'work');
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await createRelforgeWorker({
      connection,
      namespace,
      release: { projects, workRoot, env: process.env },
      builds:
        process.env['RELFORGE_BUILDS'] === undefined
          ? await projectPlatforms(projects)
          : parseBuildTargets(process.env['RELFORGE_BUILDS'], 'RELFORGE_BUILDS'),
      serveReleases: process.env['RELFORGE_SERVE_RELEASES'] !== 'false',
    });
    console.log(
      `relforge worker: polling task queues ${worker.taskQueues.map((queue) => `"${queue}"`).join(', ')} on ${address}, namespace ${namespace}`,
    );
    console.log(
      `relforge worker: releases ${[...projects.keys()].join(', ') || 'no project'}; work folder ${workRoot}`,
    );
    // The SDK's runtime turns SIGTERM/SIGINT into a graceful shutdown; run() resolves when it is done.
    await worker.run();
    console.log('relforge worker: stopped');
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(`relforge worker: ${error instanceof Error ? error.message : String(error)}`);
  if (isRelforgeError(error)) console.error(`  fix: ${error.fix}`);
  process.exit(1);
});
