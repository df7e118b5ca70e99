/**
 * `relforge notifier`: delivers the release events of the configured projects to their webhook receivers
 * (notify.webhooks), in the foreground until SIGTERM or Ctrl-C. Like `relforge worker`, it is told everything it
 * needs and never reads the local stack.
 */
import { Command } from 'commander';
import { loadProjectConfigs } from '@relforge/config';
import { InputError } from '@relforge/errors';
import { Notifier, readSecret } from '@relforge/release-webhooks';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface NotifierFlags {
  config?: string[];
  natsUrl?: string;
  namespace?: string;
  enable?: string[];
}

export function notifierCommand(): Command {
  return new Command('notifier')
    .description("deliver the configured projects' release events to their webhook receivers, until stopped")
    .option(
      '-c, --config <file>',
      'a project config whose receivers it serves; repeat for more (env RELFORGE_PROJECTS)',
      collect,
    )
    .option(
      '--nats-url <url>',
      'the NATS server (JetStream) the workers log release events to, e.g. nats://127.0.0.1:7222 (env RELFORGE_NATS_URL)',
    )
    .option(
      '--namespace <name>',
      'the Temporal namespace whose events it delivers (env RELFORGE_NAMESPACE; default relforge)',
    )
    .option(
      '--enable <receiver>',
      'enable a disabled receiver (<project>/<name>) again, from the event it was not given; repeat for more',
      collect,
    )
    .addHelpText(
      'after',
      "\nSigning secrets the configs name ({ env: NAME }) are read from this process's environment.",
    )
    .action(async (flags: NotifierFlags) => {
      const env = process.env;
      const paths = flags.config ?? (env['RELFORGE_PROJECTS'] || '').split(',').filter(Boolean);
      if (paths.length === 0) {
        throw new InputError('no project config to take webhook receivers from', {
          fix: 'give one with --config <relforge.yaml> (repeat for more), or set RELFORGE_PROJECTS',
        });
      }
      const natsUrl = flags.natsUrl ?? env['RELFORGE_NATS_URL'];
      if (!natsUrl) {
        throw new InputError('no NATS server to read release events from', {
          fix: 'give --nats-url, or set RELFORGE_NATS_URL, to the server your workers log events to (their RELFORGE_NATS_URL)',
        });
      }
      const { configs } = await loadProjectConfigs(paths, env);
      const notifier = new Notifier({
        natsUrl,
        namespace: flags.namespace ?? (env['RELFORGE_NAMESPACE'] || 'relforge'),
        projects: [...configs.values()],
        secretOf: (receiver, field) => readSecret(receiver.secret, field, env),
        enable: flags.enable ?? [],
        log: (line) => console.log(line),
      });
      // SIGTERM lets the delivery in flight finish and be acked; anything unacked is redelivered to the next notifier.
      const stop = () => void notifier.stop();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        const running = notifier.run();
        console.log(`notifier: delivering to the receivers of ${[...configs.keys()].join(', ')} from ${natsUrl}`);
        await running;
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        await notifier.close();
      }
    });
}
