/** The worker as people run it, for tests that kill it: its own process, configured by its environment. */
import type { ChildProcess } from 'node:child_process';
import {
  workerProcess as testkitWorkerProcess,
  type ExampleProject,
  type WorkerProcessOptions as TestkitWorkerOptions,
} from '@relforge/testkit';

export { killHard, stopGracefully, suiteClient, until } from '@relforge/testkit';
import { workerMain } from '@relforge/worker';

export type WorkerProcessOptions = Omit<TestkitWorkerOptions, 'main'>;

/** This package's worker entry, run as its own process. */
export function workerProcess(example: ExampleProject, options: WorkerProcessOptions = {}): ChildProcess {
  return testkitWorkerProcess(example, { main: workerMain, ...options });
}
