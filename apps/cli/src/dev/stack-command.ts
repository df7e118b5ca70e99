import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { InputError } from '@relforge/errors';
import { loadProjectConfigs } from '@relforge/config';
import {
  defaultStackSettings,
  ensureDemoPerson,
  gatewayIsRunning,
  readStackState,
  stackDown,
  stackIsRunning,
  stackUp,
  workerIsRunning,
  type StackSettings,
  type StackState,
  workerEnvironment,
} from '@relforge/stack';
import { ensureStackGateway } from './gateway-process.js';
import { streamName } from '@relforge/release-events/jetstream';
import { ensureStackWorker, exampleConfig } from './worker-process.js';

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
  gatewayPort?: number;
  natsPort?: number;
  namespace?: string;
}

export function withStackOptions(command: Command): Command {
  return command
    .option('--temporal-port <port>', 'Temporal gRPC port (env RELFORGE_TEMPORAL_PORT)', port)
    .option('--ui-port <port>', 'Temporal Web UI port (env RELFORGE_UI_PORT)', port)
    .option('--s3-port <port>', 'S3 server port (env RELFORGE_S3_PORT)', port)
    .option('--github-port <port>', 'GitHub stand-in port (env RELFORGE_GITHUB_PORT)', port)
    .option('--gateway-port <port>', 'gateway port, where GitHub webhooks come in (env RELFORGE_GATEWAY_PORT)', port)
    .option('--nats-port <port>', 'NATS (JetStream, the release events) port (env RELFORGE_NATS_PORT)', port)
    .option('--namespace <name>', 'Temporal namespace (env RELFORGE_NAMESPACE)');
}

/** Flags first, then RELFORGE_* variables, then the defaults. */
export function stackSettings(options: StackOptions): StackSettings {
  return {
    temporalPort: options.temporalPort ?? envPort('RELFORGE_TEMPORAL_PORT', defaultStackSettings.temporalPort),
    uiPort: options.uiPort ?? envPort('RELFORGE_UI_PORT', defaultStackSettings.uiPort),
    s3Port: options.s3Port ?? envPort('RELFORGE_S3_PORT', defaultStackSettings.s3Port),
    githubPort: options.githubPort ?? envPort('RELFORGE_GITHUB_PORT', defaultStackSettings.githubPort),
    gatewayPort: options.gatewayPort ?? envPort('RELFORGE_GATEWAY_PORT', defaultStackSettings.gatewayPort),
    natsPort: options.natsPort ?? envPort('RELFORGE_NATS_PORT', defaultStackSettings.natsPort),
    namespace: options.namespace ?? process.env['RELFORGE_NAMESPACE'] ?? defaultStackSettings.namespace,
    bucket: defaultStackSettings.bucket,
  };
}

export function printStack(state: StackState): void {
  console.log(`Temporal   ${state.temporal.address}  (namespace ${state.temporal.namespace})`);
  console.log(`Web UI     ${state.temporal.uiUrl}/namespaces/${state.temporal.namespace}/workflows`);
  console.log(`S3         ${state.s3.endpoint}  (bucket ${state.s3.bucket})`);
  console.log(`GitHub     ${state.github.url}  (stand-in; repositories at ${state.github.url}/<owner>/<repo>.git)`);
  if (state.nats) {
    console.log(
      `NATS       ${state.nats.url}  (JetStream, stream ${streamName(state.temporal.namespace)}: the release events)`,
    );
  }
  if (state.worker) {
    const running = workerIsRunning(state) ? 'running' : 'not running (`relforge stack up` starts it again)';
    console.log(`worker     ${running}, pid ${state.worker.pid}, releases ${state.worker.configs.join(', ')}`);
  }
  if (state.gateway) {
    const running = gatewayIsRunning(state) ? 'running' : 'not running (`relforge stack up` starts it again)';
    console.log(
      `gateway    ${state.gateway.url}  (${running}; GitHub webhooks at ${state.gateway.url}/github/webhooks)`,
    );
  }
  if (state.demo) {
    console.log(
      `demo user  ${state.demo.login}  (admin on ${state.demo.repositories.join(', ')}; \`relforge dispatch\` and \`approve\` act as them without RELFORGE_GITHUB_TOKEN)`,
    );
  }
  const logs = [
    state.temporal.logFile,
    state.s3.logFile,
    state.github.logFile,
    state.nats?.logFile,
    state.worker?.logFile,
    state.gateway?.logFile,
  ];
  console.log(`logs       ${logs.filter(Boolean).join(', ')}`);
}

/** The servers, then the stack's worker, its demo person and its gateway for `configs`: no-ops for what already runs. */
export async function startStack(options: StackOptions, configs: string[]): Promise<StackState> {
  const before = readStackState();
  const serversWereUp = before !== undefined && stackIsRunning(before);
  const settings = stackSettings(options);
  const servers = await stackUp(settings);
  try {
    const withWorker = await ensureStackWorker(servers, configs);
    const { configs: loaded } = await loadProjectConfigs(configs, { ...process.env, ...workerEnvironment(servers) });
    const sources = [...new Set([...loaded.values()].map((config) => config.source.repository))];
    const withDemo = await ensureDemoPerson(withWorker, sources);
    return await ensureStackGateway(withDemo, settings.gatewayPort, configs);
  } catch (error) {
    // A worker that cannot start (a broken config) leaves nothing this command started running.
    if (!serversWereUp) await stackDown();
    throw error;
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function stackCommand(): Command {
  const stack = new Command('stack').description(
    'start, inspect and stop the local stack: Temporal dev server + Web UI, S3, GitHub stand-in, NATS, a worker and the gateway',
  );
  withStackOptions(stack.command('up'))
    .description('start the local servers, a worker and the gateway in the background (no-op for what already runs)')
    .option(
      '-c, --config <file>',
      'a project config the stack worker releases; repeat for more (default: the bundled example)',
      collect,
    )
    .action(async (options: StackOptions & { config?: string[] }) => {
      const state = await startStack(options, options.config?.map((path) => resolve(path)) ?? [exampleConfig()]);
      console.log('local stack is up:');
      printStack(state);
      console.log('stop it with: relforge stack down');
    });
  stack
    .command('status')
    .description('show where the local servers listen, and whether they, the worker and the gateway run')
    .action(() => {
      const state = readStackState();
      if (!state) {
        console.log('local stack: not running (start it with `relforge stack up`)');
        process.exitCode = 1;
        return;
      }
      const running = stackIsRunning(state) && workerIsRunning(state) && gatewayIsRunning(state);
      const half = 'stopped or half-running (run `relforge stack down`, then `relforge stack up`)';
      console.log(`local stack: ${running ? 'running' : half}`);
      printStack(state);
      if (!running) process.exitCode = 1;
    });
  stack
    .command('down')
    .description('stop the gateway, the worker and the local servers; their data stays for the next `stack up`')
    .action(async () => {
      const state = await stackDown();
      console.log(state ? 'local stack stopped' : 'local stack was not running');
    });
  return stack;
}
