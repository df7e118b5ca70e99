/**
 * The local stack for the CLI's tests: started in a state folder of its own on free ports, the way a person starts
 * it, with the bundled example seeded on it; stopped and removed after each test.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { workspaceRoot } from '@relforge/local-servers';
import { ReleaseKey } from '@relforge/signing';
import { localReleaseKey, readStackState, workerEnvironment } from '@relforge/stack';
import type { ExampleProject } from '@relforge/testkit';
import { afterEach, expect, vi } from 'vitest';
import { exampleOwner, seedExampleRepositories } from '../src/dev/example-seeds.js';
import { runCli, stackEnvironment } from './run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.unstubAllEnvs();
});

/** The local stack in a state folder of its own, on free ports, started the way a person does. */
export async function stackUp() {
  const env = await stackEnvironment();
  const dir = env.RELFORGE_STATE_DIR;
  cleanups.push(async () => {
    await runCli(['stack', 'down'], { RELFORGE_STATE_DIR: dir });
    rmSync(dir, { recursive: true, force: true });
  });
  const up = await runCli(['stack', 'up'], env);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  // The stack's state file and credentials are read where the CLI reads them.
  vi.stubEnv('RELFORGE_STATE_DIR', dir);
  return env;
}

/** The bundled example on the stack, as `relforge demo` sets it up: its repositories on the stand-in, its bucket. */
export async function exampleOnStack(stateDir: string): Promise<ExampleProject> {
  const state = readStackState();
  if (!state) throw new Error('relforge stack up left no state file');
  const example = join(workspaceRoot(), 'examples', 'hello');
  const owner = exampleOwner;
  const admin = await seedExampleRepositories(state);
  return {
    project: 'hello',
    owner,
    bucket: state.s3.bucket,
    configPath: join(example, 'relforge.yaml'),
    env: workerEnvironment(state),
    releaseKey: ReleaseKey.parse(localReleaseKey().openssh, 'the stack release key'),
    workRoot: join(stateDir, 'work'),
    admin,
    repos: {
      source: `${owner}/hello`,
      hashes: `${owner}/hello-hashes`,
      container: `${owner}/hello-container`,
      website: `${owner}/hello-website`,
    },
  };
}

export async function temporalClient(): Promise<Client> {
  const state = readStackState();
  if (!state) throw new Error('relforge stack up left no state file');
  const connection = await Connection.connect({ address: state.temporal.address });
  cleanups.push(() => connection.close());
  return new Client({ connection, namespace: state.temporal.namespace });
}
