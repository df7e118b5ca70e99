#!/usr/bin/env node
/** `relforge`: start and watch releases, and run the local stack they need. */
import { Command, CommanderError } from 'commander';
import { approveCommand } from './approve-command.js';
import { auditCommand } from './audit-command.js';
import { dispatchCommand } from './dispatch-command.js';
import { exitCodes, reportError } from './errors.js';
import { eventsCommand } from './events-command.js';
import { notifierCommand } from './notifier-command.js';
import { abortCommand, resumeCommand } from './operator-commands.js';
import { releaseCommand } from './release-command.js';
import { statusCommand } from './status-command.js';
import { trainCommand } from './train-command.js';
import { verifyCommand } from './verify-command.js';
import { workerCommand } from './worker-command.js';
// The dev machinery's one door into the CLI: `relforge stack`, `relforge demo`, and the stack as default servers.
import { demoCommand } from './dev/demo-command.js';
import { stackCommand } from './dev/stack-command.js';
import { stackDefaults } from './dev/stack-defaults.js';
import { useLocalDefaults } from './local-defaults.js';

// The AWS SDK release pinned in pnpm-workspace.yaml supports Node 20; its warning is about later
// releases, and printed on every command it would bury Relforge's own output. Set the variable to
// "false" to see it.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

useLocalDefaults(stackDefaults);

const program = new Command('relforge')
  .description('software releases as durable Temporal workflows')
  .addCommand(releaseCommand())
  .addCommand(statusCommand())
  .addCommand(eventsCommand())
  .addCommand(resumeCommand())
  .addCommand(abortCommand())
  .addCommand(approveCommand())
  .addCommand(dispatchCommand())
  .addCommand(auditCommand())
  .addCommand(trainCommand())
  .addCommand(workerCommand())
  .addCommand(notifierCommand())
  .addCommand(stackCommand())
  .addCommand(verifyCommand())
  .addCommand(demoCommand());

/** Commander exits by itself unless told otherwise, and added subcommands do not inherit the setting. */
function throwInsteadOfExit(command: Command): void {
  command.exitOverride();
  command.commands.forEach(throwInsteadOfExit);
}
throwInsteadOfExit(program);

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
