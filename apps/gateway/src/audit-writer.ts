/**
 * The gateway's one writer of the audit trail. What a known caller did is recorded in full, under its project. A
 * refusal of a caller nobody vouched for (auth `none`: no token, a refused token, a forged delivery, a body never read)
 * is recorded under no project, and bounded: the stream is append-only and never trimmed, so without a bound anyone
 * could grow it without limit with a burst of junk requests.
 */
import type { AuditEntry, AuditLog } from '@relforge/audit';

/** The bound on unauthenticated refusals: per way in (`via.kind`), so a burst at one hides none at another. */
export interface AnonymousBound {
  /** Recorded one by one in each window; the rest are counted in one summary record at the window's end. */
  perWindow: number;
  windowMs: number;
}

export const anonymousBound: AnonymousBound = { perWindow: 10, windowMs: 60_000 };

/** Unverified text (a path, a header, a made-up project name) is kept only this long in a record. */
const maxText = 200;

type Kind = AuditEntry['via']['kind'];

interface Window {
  start: Date;
  recorded: number;
  /** Refusals beyond `perWindow`, by HTTP status. */
  more: Map<string, number>;
  timer?: NodeJS.Timeout;
}

/** Text a caller made up, cut to a length a record or an answer can afford. */
export const clip = (text: string) => (text.length > maxText ? `${text.slice(0, maxText)}…` : text);

export class AuditWriter {
  readonly #windows = new Map<Kind, Window>();

  constructor(
    private readonly log: Pick<AuditLog, 'append'>,
    private readonly onError: (message: string) => void,
    private readonly bound: AnonymousBound = anonymousBound,
  ) {}

  /** Stores the record, or counts it when it is an unauthenticated refusal over the bound; throws when NATS does. */
  async append(entry: AuditEntry): Promise<void> {
    if (entry.decision === 'refused' && entry.actor.auth === 'none') return this.#anonymous(entry);
    await this.log.append(entry);
  }

  /** Writes the summaries of the windows still open: the gateway is closing, and its counts would be lost. */
  async flush(): Promise<void> {
    await Promise.all([...this.#windows.keys()].map((kind) => this.#close(kind)));
  }

  async #anonymous(entry: AuditEntry): Promise<void> {
    const kind = entry.via.kind;
    let window = this.#windows.get(kind);
    if (window && Date.now() - window.start.getTime() >= this.bound.windowMs) {
      // The summary of the window that ended need not hold up this answer.
      void this.#close(kind).catch((error: unknown) => this.onError(summaryLost(error)));
      window = undefined;
    }
    if (!window) {
      window = { start: new Date(), recorded: 0, more: new Map() };
      this.#windows.set(kind, window);
    }
    if (window.recorded < this.bound.perWindow) {
      window.recorded += 1;
      await this.log.append(anonymized(entry));
      return;
    }
    const status = String(entry.status ?? 'unknown');
    window.more.set(status, (window.more.get(status) ?? 0) + 1);
    // Written at the window's end even if no request comes after, so a burst's count is never left out.
    window.timer ??= setTimeout(
      () => void this.#close(kind).catch((error: unknown) => this.onError(summaryLost(error))),
      window.start.getTime() + this.bound.windowMs - Date.now(),
    ).unref();
  }

  async #close(kind: Kind): Promise<void> {
    const window = this.#windows.get(kind);
    if (!window) return;
    this.#windows.delete(kind);
    clearTimeout(window.timer);
    const total = [...window.more.values()].reduce((sum, count) => sum + count, 0);
    if (total === 0) return;
    const end = new Date(Math.min(Date.now(), window.start.getTime() + this.bound.windowMs));
    await this.log.append({
      actor: { auth: 'none' },
      via: { kind },
      operation: 'unauthenticated refusals',
      inputs: Object.fromEntries([...window.more].map(([status, count]) => [`status ${status}`, count])),
      decision: 'refused',
      reason: `${total} more refusals of unauthenticated ${kind} requests from ${window.start.toISOString()} to ${end.toISOString()}, counted here by status: only the first ${this.bound.perWindow} of each ${this.bound.windowMs / 1000} s are recorded one by one`,
      at: end.toISOString(),
    });
  }
}

/**
 * Nobody vouched for the caller, so nothing it named is filed as fact: no project (the record files under `_`), no
 * login, and its text clipped. The project it named stays visible as the input `project`.
 */
function anonymized(entry: AuditEntry): AuditEntry {
  const { project, ...rest } = entry;
  const inputs = Object.fromEntries(
    Object.entries({ ...(project === undefined ? {} : { project }), ...entry.inputs }).map(([name, value]) => [
      name,
      typeof value === 'string' ? clip(value) : value,
    ]),
  );
  return {
    ...rest,
    actor: { auth: 'none' },
    via: {
      kind: entry.via.kind,
      ...(entry.via.delivery ? { delivery: clip(entry.via.delivery) } : {}),
      ...(entry.via.event ? { event: clip(entry.via.event) } : {}),
      ...(entry.via.comment ? { comment: clip(entry.via.comment) } : {}),
    },
    operation: clip(entry.operation),
    inputs,
    ...(entry.reason ? { reason: clip(entry.reason) } : {}),
  };
}

const summaryLost = (error: unknown) =>
  `the audit summary of unauthenticated refusals was not stored: ${error instanceof Error ? error.message : String(error)}`;
