/**
 * What the board lists: the releases (and the trains) running, waiting and recent, from Temporal's visibility (the
 * source of truth of which exist, including those queued for a worker and those whose worker logs no events), each
 * with its status folded from the JetStream log when events are on. The log is read per workflow, and a fold is kept
 * until its log grows, so listing the same workflows again costs one look at each log's last event.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { BoardStatus, ListedRelease } from '@relforge/board';
import type { JetStreamEventLog, ReleaseKey } from '@relforge/release-events/jetstream';
import { RelforgeProject, RelforgeStage, RelforgeState, RelforgeVersion } from '@relforge/temporal-names';

/** How many ended releases (and trains) the board shows: the latest, newest first. */
export const recentCount = 20;
/** Running ones are all shown, up to this many (a namespace running more needs a filter, not a wall). */
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

async function collect<T>(
  client: Client,
  query: string,
  limit: number,
  row: (execution: WorkflowExecutionInfo) => T,
): Promise<T[]> {
  const rows: T[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    rows.push(row(execution));
    if (rows.length >= limit) break;
  }
  return rows;
}

/**
 * The running workflows of a type and the latest `recentCount` ended ones, each workflow id once (its latest run):
 * a release with several runs (a lost run resumed, a re-release) or a train that continued as new is listed once.
 */
export async function listWorkflows<T extends { workflowId: string; execution: string }>(
  client: Client,
  workflowType: 'release' | 'train',
  row: (execution: WorkflowExecutionInfo) => T,
): Promise<T[]> {
  const [running, ended] = await Promise.all([
    collect(client, `WorkflowType = "${workflowType}" AND ExecutionStatus = "Running"`, runningLimit, row),
    // More than shown: one workflow id may have several ended runs.
    collect(client, `WorkflowType = "${workflowType}" AND ExecutionStatus != "Running"`, recentCount * 3, row),
  ]);
  const seen = new Set<string>();
  const rows: T[] = [];
  for (const candidate of [...running, ...ended]) {
    if (seen.has(candidate.workflowId)) continue;
    seen.add(candidate.workflowId);
    rows.push(candidate);
  }
  return [
    ...rows.filter((candidate) => candidate.execution === 'RUNNING'),
    ...rows.filter((candidate) => candidate.execution !== 'RUNNING').slice(0, recentCount),
  ];
}

/** The statuses folded from the logs of the workflows shown, each kept until its log grows. */
export class Folds<T> {
  readonly #folds = new Map<string, { sequence: number; value: T }>();

  constructor(private readonly log: JetStreamEventLog) {}

  /** Forgets the folds of workflows no longer shown: one that comes back is folded again. */
  keepOnly(workflowIds: Iterable<string>): void {
    const ids = new Set(workflowIds);
    for (const id of this.#folds.keys()) if (!ids.has(id)) this.#folds.delete(id);
  }

  /** The status after the log's last event, with its sequence; empty for a log with no event. */
  async of(workflowId: string, key: ReleaseKey): Promise<{ sequence?: number; status?: T }> {
    const last = await this.log.lastEvent(key);
    if (!last) return {};
    let fold = this.#folds.get(workflowId);
    if (fold?.sequence !== last.event.data.sequence) {
      fold = await this.log.snapshotAt<T>(key);
      if (!fold) return {};
      this.#folds.set(workflowId, fold);
    }
    return { sequence: fold.sequence, status: fold.value };
  }
}

export class ReleaseList {
  readonly #folds: Folds<BoardStatus> | undefined;

  constructor(
    private readonly namespace: string,
    private readonly log: JetStreamEventLog | undefined,
  ) {
    this.#folds = log ? new Folds(log) : undefined;
  }

  /** The running releases and the latest ended ones, each release once (its latest run), with their statuses. */
  async list(client: Client): Promise<ListedRelease[]> {
    const shown = await listWorkflows(client, 'release', listed);
    const folds = this.#folds;
    if (!folds) return shown;
    folds.keepOnly(shown.map((release) => release.workflowId));
    return Promise.all(
      shown.map(async (release) => ({
        ...release,
        ...(await folds.of(release.workflowId, this.key(release.project, release.version))),
      })),
    );
  }

  /** The release's status as of event `at` (default: the last), folded from its log. */
  async snapshot(project: string, version: string, at?: number) {
    if (!this.log) return undefined;
    return this.log.snapshotAt<BoardStatus>(this.key(project, version), at);
  }

  private key(project: string, version: string): ReleaseKey {
    return { namespace: this.namespace, project, version };
  }
}
