/**
 * `relforge events <project> <version>`: a release's events as its JetStream log holds them, in sequence order — the
 * receiver's view. The log is RELFORGE_NATS_URL's, else the local stack's; the stream is the namespace's.
 */
import { Command, InvalidArgumentError } from 'commander';
import { InputError } from '@relforge/errors';
import { parseEventType, type ReleaseCloudEvent } from '@relforge/release-events';
import { JetStreamEventLog, streamName, type ReleaseKey } from '@relforge/release-events/jetstream';
import { isFinal, releaseMachine, type ReleaseState } from '@relforge/release-states';
import { requireNatsUrl } from './nats-target.js';
import { temporalTarget } from './temporal-target.js';

function sequenceNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a sequence number, 1 or more');
  return parsed;
}

/** One line an event: its number, time, what entered which state, and how many patch operations it carries. */
export function eventLine(event: ReleaseCloudEvent): string {
  const named = parseEventType(event.type);
  const what = named ? `${named.entity}${event.subject ? ` ${event.subject}` : ''} ${named.state}` : event.type;
  const operations = event.data.patch.length;
  return `${String(event.data.sequence).padStart(5)}  ${event.time}  ${what}  (${operations} patch op${operations === 1 ? '' : 's'})`;
}

/** The release has ended: once caught up on it, following further would wait for a re-release. */
function endsRelease(event: ReleaseCloudEvent): boolean {
  const named = parseEventType(event.type);
  return named?.entity === 'release' && isFinal(releaseMachine, named.state as ReleaseState);
}

interface EventsOptions {
  follow?: boolean;
  json?: boolean;
  from?: number;
  snapshot?: true | number;
}

export function eventsCommand(): Command {
  return new Command('events')
    .description("print a release's events from its JetStream log, in sequence order")
    .argument('<project>')
    .argument('<version>')
    .option('--from <sequence>', 'start at this sequence number (default 1)', sequenceNumber)
    .option('-f, --follow', 'keep printing events as they are logged, until the release ends (Ctrl-C stops)')
    .option('--json', 'one CloudEvent (structured JSON) a line')
    .option(
      '--snapshot [sequence]',
      "print the release's status as of that event (default: the last), folded from its patches",
      sequenceNumber,
    )
    .action(async (project: string, version: string, options: EventsOptions) => {
      const { namespace } = temporalTarget();
      const release: ReleaseKey = { namespace, project, version };
      const url = requireNatsUrl('release events');
      const log = await JetStreamEventLog.connect(url, { name: 'relforge-cli' });
      const stop = new AbortController();
      const interrupted = () => stop.abort();
      process.once('SIGINT', interrupted);
      try {
        const none = () =>
          new InputError(`no events of ${project} ${version} in stream ${streamName(namespace)} on ${url}`, {
            fix: 'check the project, version and namespace (RELFORGE_NAMESPACE); a release whose worker has no RELFORGE_NATS_URL logs no events',
          });
        if (options.snapshot !== undefined) {
          const at = options.snapshot === true ? undefined : options.snapshot;
          const snapshot = await log.snapshotAt(release, at);
          if (!snapshot) throw none();
          console.log(JSON.stringify(snapshot, null, 2));
          return;
        }
        let printed = 0;
        const reading = log.read(release, {
          ...(options.from ? { from: options.from } : {}),
          follow: options.follow ?? false,
          signal: stop.signal,
          until: endsRelease,
        });
        for await (const event of reading) {
          console.log(options.json ? JSON.stringify(event) : eventLine(event));
          printed++;
        }
        if (printed === 0 && !options.follow && !options.from) throw none();
      } finally {
        process.off('SIGINT', interrupted);
        await log.close();
      }
    });
}
