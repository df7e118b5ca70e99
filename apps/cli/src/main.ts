#!/usr/bin/env node
/** `relforge`: start and watch releases, and run the local stack they need. */
import { Command, CommanderError } from 'commander';
import { demoCommand } from './demo-command.js';
import { exitCodes, reportError } from './errors.js';
import { stackCommand } from './stack-command.js';

const program = new Command('relforge')
  .description('software releases as durable Temporal workflows')
  .exitOverride()
  .addCommand(stackCommand())
  .addCommand(demoCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed its message (unknown option, bad port, --help).
    process.exitCode = error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  } else {
    process.exitCode = reportError(error);
  }
}
