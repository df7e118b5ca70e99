/** The worker as people run it, for tests that kill it: its own process, configured by its environment. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { ExampleProject } from './example.js';
import { testStack } from './fixtures.js';

export interface WorkerProcessOptions {
  /** The worker's entry (`workerMain` of @relforge/worker), passed in: the test kit does not depend on the worker. */
  main: string;
  /** Another Temporal server than the suite's (a test's own dev server, the production server). */
  temporal?: { address: string; namespace: string };
  /** Extra or replaced environment, e.g. another S3 port or the RELFORGE_TEMPORAL_TLS_* files. */
  env?: Record<string, string>;
  /** The platforms it builds (`distro/arch`); every platform of the example's matrix unless told. */
  builds?: string[];
  /** False for a worker that only builds. */
  serveReleases?: boolean;
  /** More projects it releases beside `example`, with their secrets; it works in `example`'s work folder. */
  alsoReleases?: ExampleProject[];
  /** A work folder of its own, as on another machine; `example.workRoot` unless told. */
  workDir?: string;
}

export function workerProcess(example: ExampleProject, options: WorkerProcessOptions): ChildProcess {
  const temporal = options.temporal ?? testStack().temporal;
  const projects = [example, ...(options.alsoReleases ?? [])];
  const child = spawn(process.execPath, [options.main], {
    env: {
      ...process.env,
      ...Object.assign({}, ...projects.map((project) => project.env)),
      ...options.env,
      RELFORGE_TEMPORAL_ADDRESS: temporal.address,
      RELFORGE_NAMESPACE: temporal.namespace,
      RELFORGE_PROJECTS: projects.map((project) => project.configPath).join(','),
      RELFORGE_WORK_DIR: options.workDir ?? example.workRoot,
      RELFORGE_BUILDS: options.builds?.join(',') ?? 'all',
      ...(options.serveReleases === false ? { RELFORGE_SERVE_RELEASES: 'false' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Kept next to the work folder: the first thing to read when a fault test fails.
  const log = createWriteStream(join(example.workRoot, '..', `worker-${child.pid}.log`));
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null)
    throw new Error(`the worker had already exited (${child.exitCode ?? child.signalCode})`);
  child.kill('SIGKILL');
  await once(child, 'exit');
}

export async function stopGracefully(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
