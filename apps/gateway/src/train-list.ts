/**
 * The trains the board lists: from Temporal's visibility (`WorkflowType = "train"`, running and the latest ended),
 * each with its status folded from its own event log, or asked of the train (`trainStatus` query) when it logged none
 * (events off, or a train started before trains logged events), in which case the board has no sequence to follow.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { ListedTrain } from '@relforge/board';
import { trainStatusQuery, type TrainStatus } from '@relforge/release';
import type { JetStreamEventLog, ReleaseKey } from '@relforge/release-events/jetstream';
import { Folds, listWorkflows } from './release-list.js';

/** How long the list waits for a train to answer its query: one without a worker is listed without a status. */
const queryDeadlineMs = 3_000;

function listed(execution: WorkflowExecutionInfo): ListedTrain {
  const [, project = '', ...version] = execution.workflowId.split('/');
  return {
    workflowId: execution.workflowId,
    runId: execution.runId,
    project,
    version: version.join('/'),
    execution: execution.status.name,
    startedAt: execution.startTime.toISOString(),
    ...(execution.closeTime ? { closedAt: execution.closeTime.toISOString() } : {}),
  };
}

export class TrainList {
  readonly #folds: Folds<TrainStatus> | undefined;

  constructor(
    private readonly namespace: string,
    private readonly log: JetStreamEventLog | undefined,
  ) {
    this.#folds = log ? new Folds(log) : undefined;
  }

  async list(client: Client): Promise<ListedTrain[]> {
    const shown = await listWorkflows(client, 'train', listed);
    this.#folds?.keepOnly(shown.map((train) => train.workflowId));
    return Promise.all(shown.map(async (train) => ({ ...train, ...(await this.statusOf(client, train)) })));
  }

  /** The train's status as of event `at` (default: the last), folded from its log. */
  async snapshot(project: string, version: string, at?: number) {
    return this.log?.snapshotAt<TrainStatus>(this.key(project, version), at);
  }

  private async statusOf(client: Client, train: ListedTrain): Promise<{ sequence?: number; status?: TrainStatus }> {
    const folded = await this.#folds?.of(train.workflowId, this.key(train.project, train.version));
    if (folded?.status) return folded;
    const handle = client.workflow.getHandle(train.workflowId, train.runId);
    const status = await client
      .withDeadline(Date.now() + queryDeadlineMs, () => handle.query(trainStatusQuery))
      .catch(() => undefined);
    return status ? { status } : {};
  }

  private key(project: string, version: string): ReleaseKey {
    return { namespace: this.namespace, project, version, kind: 'train' };
  }
}
