/**
 * `relforge demo`: a real release of the bundled example, end to end, on the
 * local stack. Starts the servers, seeds the example's repositories on the
 * GitHub stand-in, runs a worker process and releases `hello`; run again, it
 * reports the version as already released and changes nothing.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { parseVersion } from '@relforge/config';
import { StandInAdmin } from '@relforge/github-standin';
import { stateDir, workspaceRoot } from '@relforge/local-servers';
import { stackUp, workerEnvironment, type StackState } from '@relforge/stack';
import { exitCodeOf, runRelease } from './release-command.js';
import { printOutcome, printStageChanges } from './release-output.js';
import { printStack, stackSettings, withStackOptions, type StackOptions } from './stack-command.js';
import { startWorkerProcess } from './worker-process.js';

const example = () => join(workspaceRoot(), 'examples', 'hello');

/** The example's repositories on the stand-in; ones that exist are left as they are. */
async function seedExampleRepositories(state: StackState): Promise<void> {
  const admin = new StandInAdmin(state.github.url);
  const seeds: [string, string][] = [
    ['hello', join(example(), 'src')],
    ['hello-hashes', join(example(), 'seeds', 'hashes')],
    ['hello-container', join(example(), 'seeds', 'container')],
    ['hello-website', join(example(), 'seeds', 'website')],
  ];
  for (const [name, seedDir] of seeds) await admin.createRepo({ owner: 'relforge-examples', name, seedDir });
}

export function demoCommand(): Command {
  return withStackOptions(new Command('demo'))
    .description('release the bundled example project end to end on the local stack')
    .argument('[version]', 'the version of the example to release', '1.2.3')
    .action(async (versionText: string, options: StackOptions) => {
      const version = parseVersion(versionText);
      const state = await stackUp(stackSettings(options));
      printStack(state);
      await seedExampleRepositories(state);
      const worker = startWorkerProcess(
        {
          ...workerEnvironment(state),
          RELFORGE_PROJECTS: join(example(), 'relforge.yaml'),
          RELFORGE_WORK_DIR: join(stateDir(), 'work'),
        },
        join(stateDir(), 'logs', 'worker.log'),
      );
      try {
        console.log(`releasing hello ${version.text} (worker log: ${join(stateDir(), 'logs', 'worker.log')})`);
        const seen = new Map<string, string>();
        const target = {
          address: state.temporal.address,
          namespace: state.temporal.namespace,
          uiUrl: state.temporal.uiUrl,
        };
        const run = await runRelease(target, { project: 'hello', version: version.text }, (status) =>
          printStageChanges(status, seen),
        );
        printOutcome(run, target);
        console.log('the stack keeps running for the Web UI; stop it with: pnpm stack down');
        process.exitCode = exitCodeOf(run);
      } finally {
        await worker.stop();
      }
    });
}
