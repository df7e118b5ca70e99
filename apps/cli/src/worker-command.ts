/**
 * `relforge worker`: a worker in the foreground, for production (systemd, a build machine) or a terminal. Told
 * everything it serves: its project configs, its platforms, its Temporal service; it never reads the local stack.
 */
import { Command } from 'commander';
import { runWorker, workerSettings, type WorkerFlags } from '@relforge/worker';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a worker in the foreground: release the configured projects, build the named platforms')
    .option(
      '-c, --config <file>',
      'a project config this worker releases; repeat for more (env RELFORGE_PROJECTS)',
      collect,
    )
    .option(
      '--builds <platforms>',
      'distro/arch list this machine builds, e.g. bookworm/arm64 (env RELFORGE_BUILDS; default: this machine)',
    )
    .option(
      '--builds-only',
      'only build: leave the release itself to other workers (env RELFORGE_SERVE_RELEASES=false)',
    )
    .option('--work-dir <dir>', 'checkouts and artifacts (env RELFORGE_WORK_DIR; default ./relforge-work)')
    .option(
      '--temporal-address <host:port>',
      'the Temporal frontend (env RELFORGE_TEMPORAL_ADDRESS; default 127.0.0.1:7233)',
    )
    .option('--namespace <name>', 'the Temporal namespace (env RELFORGE_NAMESPACE; default relforge)')
    .option(
      '--nats-url <url>',
      'the NATS server (JetStream) that logs release events, e.g. nats://127.0.0.1:7222 (env RELFORGE_NATS_URL; default: no events)',
    )
    .addHelpText(
      'after',
      "\nmTLS: RELFORGE_TEMPORAL_TLS_CERT, RELFORGE_TEMPORAL_TLS_KEY, RELFORGE_TEMPORAL_TLS_CA, RELFORGE_TEMPORAL_TLS_SERVER_NAME.\nSecrets the configs name ({ env: NAME }) are read from this process's environment.",
    )
    .action(async (flags: WorkerFlags) => {
      await runWorker(await workerSettings(flags, process.env));
    });
}
