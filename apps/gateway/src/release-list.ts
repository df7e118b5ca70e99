/**
 * What the board lists: the releases running, waiting and recent, from Temporal's visibility (the source of truth of
 * which releases exist, including those queued for a worker and those whose worker logs no events), each with its
 * status folded from the JetStream log when events are on. The log is read per release, and a release's fold is kept
 * until its log grows, so listing the same releases again costs one look at each log's last event.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { BoardStatus, ListedRelease } from '@relforge/board';
import type { JetStreamEventLog, ReleaseKey } from '@relforge/release-events/jetstream';
import { RelforgeProject, RelforgeStage, RelforgeState, RelforgeVersion } from '@relforge/temporal-names';

/** How many ended releases the board shows: the latest, newest first. */
export const recentCount = 20;
/** Running releases are all shown, up to this many (a namespace running more needs a filter, not a wall). */
const runningLimit = 200;

function listed(execution: WorkflowExecutionInfo): ListedRelease {
  const attributes = execution.typedSearchAttributes;
  const [, project = '', ...version] = execution.workflowId.split('/');
  const running = execution.status.name === 'RUNNING';
  const stage = attributes.get(RelforgeStage);
  return {
    workflowId: execution.workflowId,
    runId: execution.runId,
    project: attributes.get(RelforgeProject) ?? project,
    version: attributes.get(RelforgeVersion) ?? version.join('/'),
    execution: execution.status.name,
    // A run whose first workflow task has not completed has no state of its own yet: it is queued.
    state: attributes.get(RelforgeState) ?? (running ? 'queued' : execution.status.name.toLowerCase()),
    ...(stage ? { stage } : {}),
    startedAt: execution.startTime.toISOString(),
    ...(execution.closeTime ? { closedAt: execution.closeTime.toISOString() } : {}),
  };
}

async function collect(client: Client, query: string, limit: number): Promise<ListedRelease[]> {
  const rows: ListedRelease[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    rows.push(listed(execution));
    if (rows.length >= limit) break;
  }
  return rows;
}

export class ReleaseList {
  readonly #folds = new Map<string, { sequence: number; value: BoardStatus }>();

  constructor(
    private readonly namespace: string,
    private readonly log: JetStreamEventLog | undefined,
  ) {}

  /** The running releases and the latest ended ones, each release once (its latest run), with their statuses. */
  async list(client: Client): Promise<ListedRelease[]> {
    const [running, ended] = await Promise.all([
      collect(client, 'WorkflowType = "release" AND ExecutionStatus = "Running"', runningLimit),
      // More than shown: a release with several runs (a lost run resumed, a re-release) is listed once.
      collect(client, 'WorkflowType = "release" AND ExecutionStatus != "Running"', recentCount * 3),
    ]);
    const seen = new Set<string>();
    const releases: ListedRelease[] = [];
    for (const release of [...running, ...ended]) {
      if (seen.has(release.workflowId)) continue;
      seen.add(release.workflowId);
      releases.push(release);
    }
    const shown = [...releases.filter((release) => release.execution === 'RUNNING')];
    shown.push(...releases.filter((release) => release.execution !== 'RUNNING').slice(0, recentCount));
    if (!this.log) return shown;
    // Folds are kept for the releases shown: one that left the list is folded again if it comes back.
    const ids = new Set(shown.map((release) => release.workflowId));
    for (const id of this.#folds.keys()) if (!ids.has(id)) this.#folds.delete(id);
    return Promise.all(shown.map(async (release) => ({ ...release, ...(await this.folded(release)) })));
  }

  /** The release's status as of event `at` (default: the last), folded from its log. */
  async snapshot(project: string, version: string, at?: number) {
    if (!this.log) return undefined;
    return this.log.snapshotAt<BoardStatus>(this.key(project, version), at);
  }

  private key(project: string, version: string): ReleaseKey {
    return { namespace: this.namespace, project, version };
  }

  private async folded(release: ListedRelease): Promise<{ sequence?: number; status?: BoardStatus }> {
    const log = this.log;
    if (!log) return {};
    const key = this.key(release.project, release.version);
    const last = await log.lastEvent(key);
    if (!last) return {};
    let fold = this.#folds.get(release.workflowId);
    if (fold?.sequence !== last.event.data.sequence) {
      fold = await log.snapshotAt<BoardStatus>(key);
      if (!fold) return {};
      this.#folds.set(release.workflowId, fold);
    }
    return { sequence: fold.sequence, status: fold.value };
  }
}
