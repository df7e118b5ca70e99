/**
 * A worker in the foreground: connects (with mTLS when configured), serves its task queues until SIGTERM or
 * SIGINT, then finishes what is in flight and returns. `relforge worker` and the worker's own entry both end here.
 */
import { NativeConnection } from '@temporalio/worker';
import { JetStreamEventLog, streamName } from '@relforge/release-events/jetstream';
import { tlsConfig, unreachable } from '@relforge/temporal-connection';
import { platform, type WorkerSettings } from './settings.js';
import { createRelforgeWorker } from './worker.js';

export async function runWorker(settings: WorkerSettings, log: (line: string) => void = console.log): Promise<void> {
  const { temporal } = settings;
  const tls = tlsConfig(temporal);
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect({ address: temporal.address, ...(tls ? { tls } : {}) });
  } catch (error) {
    throw unreachable(
      temporal,
      error,
      'start Temporal (locally: `relforge stack up`), or set RELFORGE_TEMPORAL_ADDRESS and RELFORGE_TEMPORAL_TLS_*',
    );
  }
  // Connected in the background and kept: a NATS server that is down now is waited for, and the event steps retry
  // meanwhile, so the worker serves its queues either way.
  const events = settings.events
    ? JetStreamEventLog.open(settings.events.url, {
        name: 'relforge-worker',
        onWaiting: (reason) =>
          log(`relforge worker: waiting for NATS at ${settings.events?.url} (${reason}); release events wait too`),
      })
    : undefined;
  try {
    const worker = await createRelforgeWorker({
      connection,
      namespace: temporal.namespace,
      release: {
        projects: settings.projects,
        workRoot: settings.workRoot,
        env: process.env,
        ...(events ? { events } : {}),
      },
      builds: settings.builds,
      serveReleases: settings.serveReleases,
    });
    const queues = worker.taskQueues.map((queue) => `"${queue}"`).join(', ');
    const where = `${temporal.address}${temporal.tls ? ' (mTLS)' : ''}, namespace ${temporal.namespace}`;
    log(`relforge worker: polling task queue${worker.taskQueues.length > 1 ? 's' : ''} ${queues} on ${where}`);
    log(`relforge worker: releases ${[...settings.projects.keys()].join(', ')}; work folder ${settings.workRoot}`);
    log(`relforge worker: builds ${settings.builds.map(platform).join(', ') || 'no platform'}`);
    log(
      events
        ? `relforge worker: release events to ${events.url}, stream ${streamName(temporal.namespace)}`
        : 'relforge worker: release events off (RELFORGE_NATS_URL is not set)',
    );
    // The SDK's runtime turns SIGTERM/SIGINT into a graceful shutdown; run() resolves when it is done.
    await worker.run();
    log('relforge worker: stopped');
  } finally {
    await events?.close();
    await connection.close();
  }
}
