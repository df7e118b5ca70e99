import { Command, InvalidArgumentError } from 'commander';
import { InputError } from '@relforge/errors';
import {
  defaultStackSettings,
  readStackState,
  stackDown,
  stackIsRunning,
  stackUp,
  type StackSettings,
  type StackState,
} from '@relforge/stack';

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65_535) {
    throw new InvalidArgumentError('expected a port number from 1 to 65535');
  }
  return parsed;
}

function envPort(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  try {
    return port(value);
  } catch {
    throw new InputError(`${name}=${value} is not a port number`, {
      fix: `set ${name} to a number from 1 to 65535, or unset it`,
    });
  }
}

export interface StackOptions {
  temporalPort?: number;
  uiPort?: number;
  s3Port?: number;
  githubPort?: number;
  namespace?: string;
}

export function withStackOptions(command: Command): Command {
  return command
    .option('--temporal-port <port>', 'Temporal gRPC port (env RELFORGE_TEMPORAL_PORT)', port)
    .option('--ui-port <port>', 'Temporal Web UI port (env RELFORGE_UI_PORT)', port)
    .option('--s3-port <port>', 'S3 server port (env RELFORGE_S3_PORT)', port)
    .option('--github-port <port>', 'GitHub stand-in port (env RELFORGE_GITHUB_PORT)', port)
    .option('--namespace <name>', 'Temporal namespace (env RELFORGE_NAMESPACE)');
}

/** Flags first, then RELFORGE_* variables, then the defaults. */
export function stackSettings(options: StackOptions): StackSettings {
  return {
    temporalPort: options.temporalPort ?? envPort('RELFORGE_TEMPORAL_PORT', defaultStackSettings.temporalPort),
    uiPort: options.uiPort ?? envPort('RELFORGE_UI_PORT', defaultStackSettings.uiPort),
    s3Port: options.s3Port ?? envPort('RELFORGE_S3_PORT', defaultStackSettings.s3Port),
    githubPort: options.githubPort ?? envPort('RELFORGE_GITHUB_PORT', defaultStackSettings.githubPort),
    namespace: options.namespace ?? process.env['RELFORGE_NAMESPACE'] ?? defaultStackSettings.namespace,
    bucket: defaultStackSettings.bucket,
  };
}

export function printStack(state: StackState): void {
  console.log(`Temporal   ${state.temporal.address}  (namespace ${state.temporal.namespace})`);
  console.log(`Web UI     ${state.temporal.uiUrl}/namespaces/${state.temporal.namespace}/workflows`);
  console.log(`S3         ${state.s3.endpoint}  (bucket ${state.s3.bucket})`);
  console.log(`GitHub     ${state.github.url}  (stand-in; repositories at ${state.github.url}/<owner>/<repo>.git)`);
  console.log(`logs       ${[state.temporal.logFile, state.s3.logFile, state.github.logFile].join(', ')}`);
}

export function stackCommand(): Command {
  const stack = new Command('stack').description(
    'start, inspect and stop the local servers (Temporal dev server + Web UI, S3, GitHub stand-in)',
  );
  withStackOptions(stack.command('up'))
    .description('start the local servers in the background (no-op when they already run)')
    .action(async (options: StackOptions) => {
      const state = await stackUp(stackSettings(options));
      console.log('local stack is up:');
      printStack(state);
      console.log('stop it with: pnpm stack down');
    });
  stack
    .command('status')
    .description('show where the local servers listen, and whether they run')
    .action(() => {
      const state = readStackState();
      if (!state) {
        console.log('local stack: not running (start it with `pnpm stack up`)');
        process.exitCode = 1;
        return;
      }
      const running = stackIsRunning(state);
      console.log(
        `local stack: ${running ? 'running' : 'stopped or half-running (run `pnpm stack down`, then `pnpm stack up`)'}`,
      );
      printStack(state);
      if (!running) process.exitCode = 1;
    });
  stack
    .command('down')
    .description('stop the local servers; their data stays for the next `stack up`')
    .action(async () => {
      const state = await stackDown();
      console.log(state ? 'local stack stopped' : 'local stack was not running');
    });
  return stack;
}
