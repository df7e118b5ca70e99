/**
 * `relforge demo`: a real release of the bundled example, end to end, on the local stack. Starts the servers and
 * the stack's worker, seeds the example's repositories on the GitHub stand-in and releases `hello`; run again, it
 * reports the version as already released and changes nothing.
 */
import { Command } from 'commander';
import { parseVersion } from '@relforge/config';
import { exitCodeOf } from '../errors.js';
import { seedExampleRepositories } from './example-seeds.js';
import { runRelease } from '../release-command.js';
import { printOutcome, printStageChanges } from '../release-output.js';
import { startStack, withStackOptions, type StackOptions } from './stack-command.js';
import { exampleConfig } from './worker-process.js';

export function demoCommand(): Command {
  return withStackOptions(new Command('demo'))
    .description('release the bundled example project end to end on the local stack')
    .argument('[version]', 'the version of the example to release', '1.2.3')
    .action(async (versionText: string, options: StackOptions) => {
      const version = parseVersion(versionText);
      const state = await startStack(options, [exampleConfig()]);
      await seedExampleRepositories(state);
      console.log(`releasing hello ${version.text} (worker log: ${state.worker?.logFile ?? 'none'})`);
      const seen = new Map<string, string>();
      const { address, namespace, uiUrl } = state.temporal;
      const target = { address, namespace, uiUrl };
      const run = await runRelease(target, { project: 'hello', version: version.text }, (status) =>
        printStageChanges(status, seen),
      );
      printOutcome(run, target);
      if (state.nats) console.log(`its events, as receivers get them: relforge events hello ${version.text}`);
      console.log('the stack keeps running for the Web UI; stop it with: relforge stack down');
      process.exitCode = exitCodeOf(run);
    });
}
