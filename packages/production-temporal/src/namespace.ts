/**
 * Relforge's namespace and search attributes on a Temporal server of its own,
 * through the SDK's workflow and operator services, so the attribute names come
 * from @relforge/temporal-names like everywhere else. Safe to run again: what
 * exists is left as it is.
 */
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { StackError } from '@relforge/errors';
import { relforgeSearchAttributes } from '@relforge/temporal-names';

const alreadyExists = 6; // gRPC status ALREADY_EXISTS
const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

export interface NamespaceOptions {
  namespace: string;
  /** How long closed releases stay listed; Temporal deletes their histories after it. */
  retentionDays?: number;
  timeoutMs?: number;
}

export async function registerRelforgeNamespace(connection: Connection, options: NamespaceOptions): Promise<void> {
  const { namespace } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      description: 'Relforge releases',
      workflowExecutionRetentionPeriod: msToTs(`${options.retentionDays ?? 30} days`),
    });
  } catch (error) {
    if (!(isGrpcServiceError(error) && error.code === alreadyExists)) throw error;
  }
  await poll(`namespace ${namespace} to be served`, deadline, async () => {
    await connection.workflowService.describeNamespace({ namespace });
  });

  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = relforgeSearchAttributes.filter((key) => !(key.name in (customAttributes ?? {})));
  if (missing.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((key) => [key.name, keyword])),
      });
    } catch (error) {
      if (!(isGrpcServiceError(error) && error.code === alreadyExists)) throw error;
    }
  }
  // SQL visibility maps the names onto its columns per namespace; the frontend sees them once its
  // namespace cache refreshes, and only then accepts a query that uses them.
  const query = relforgeSearchAttributes.map((key) => `${key.name} = ''`).join(' AND ');
  await poll(`search attributes ${relforgeSearchAttributes.map((key) => key.name).join(', ')}`, deadline, async () => {
    await connection.workflowService.listWorkflowExecutions({ namespace, query, pageSize: 1 });
  });
}

async function poll(what: string, deadline: number, attempt: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new StackError(
          `the Temporal server did not show ${what} in time: ${error instanceof Error ? error.message : String(error)}`,
          { fix: "check the server's log; with SQL visibility, PostgreSQL must accept its connections" },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
