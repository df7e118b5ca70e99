/**
 * `relforge audit`: the audit trail of the namespace (who did what, how they were authenticated, the decision and its
 * rule), read from its JetStream stream on RELFORGE_NATS_URL's NATS, else the local stack's.
 */
import { Command, InvalidArgumentError } from 'commander';
import { AuditLog, type AuditRecord } from '@relforge/audit';
import { requireNatsUrl } from './nats-target.js';
import { temporalTarget } from './temporal-target.js';

const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO time, or a span back from now: 30m, 2h, 7d. */
export function sinceTime(value: string, now = Date.now()): Date {
  const span = /^(\d+)([mhd])$/.exec(value);
  if (span) return new Date(now - Number(span[1]) * (units[span[2] ?? 'm'] ?? 0));
  const at = new Date(value);
  if (Number.isNaN(at.getTime()))
    throw new InvalidArgumentError('expected an ISO time (2026-12-01T09:00:00Z) or a span: 30m, 2h, 7d');
  return at;
}

function actorText(record: AuditRecord): string {
  const { actor } = record;
  const who = actor.login ?? actor.osUser ?? '(unknown)';
  return `${who} (${actor.auth}${actor.login && actor.osUser ? ` as ${actor.osUser}` : ''})`;
}

function line(record: AuditRecord): string {
  const inputs = Object.entries(record.inputs).map(([name, value]) => `${name}=${String(value)}`);
  const via = record.via.delivery ? `${record.via.kind} ${record.via.delivery}` : record.via.kind;
  return [
    record.at,
    actorText(record),
    `via ${via}`,
    [record.operation, record.project, ...inputs].filter(Boolean).join(' '),
    `${record.decision}${record.rule ? ` by ${record.rule}` : ''}`,
    ...(record.reason && record.decision === 'refused' ? [record.reason] : []),
    ...(record.workflow ? [`→ ${record.workflow.id}`] : []),
  ].join('  ');
}

export function auditCommand(): Command {
  return new Command('audit')
    .description('print the audit trail: every dispatch, webhook delivery and operator action, accepted or refused')
    .option('-p, --project <name>', 'only this project')
    .option('--actor <login>', 'only what this login did')
    .option('--since <time>', 'only records since an ISO time or a span back from now (30m, 2h, 7d)', (value: string) =>
      sinceTime(value),
    )
    .option('--json', 'one record (JSON) a line')
    .action(async (options: { project?: string; actor?: string; since?: Date; json?: boolean }) => {
      const { namespace } = temporalTarget();
      const audit = await AuditLog.connect(requireNatsUrl('the audit trail'), namespace, 'relforge-cli');
      try {
        const records = await audit.read({
          ...(options.project ? { project: options.project } : {}),
          ...(options.actor ? { actor: options.actor } : {}),
          ...(options.since ? { since: options.since } : {}),
        });
        for (const record of records) console.log(options.json ? JSON.stringify(record) : line(record));
      } finally {
        await audit.close();
      }
    });
}
