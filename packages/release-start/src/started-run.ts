/**
 * Whether a start call made the run or found it running. Temporal's start and signal-with-start responses say so
 * (`started` is false when the conflict policy USE_EXISTING attached the call to the running run), but the SDK's
 * client drops the field (temporalio/features#657). A describe() before the start cannot stand in for it: two clients
 * that both look before either starts both see no run, and both would say they started it.
 */
import { WorkflowClient, type Client, type WorkflowService } from '@temporalio/client';

type StartResponse = { started?: boolean | null };

/**
 * The caller's workflow client (its connection, namespace, data converter and interceptors), through the SDK's own
 * start code, reading `started` off each start response on its way back. One per start call, so concurrent starts
 * never read each other's answer.
 */
class StartWatchingClient extends WorkflowClient {
  started = false;

  override get workflowService(): WorkflowService {
    const service = super.workflowService;
    const seen = <Response extends StartResponse>(response: Response): Response => {
      this.started = response.started === true;
      return response;
    };
    const startWorkflowExecution = async (request: Parameters<WorkflowService['startWorkflowExecution']>[0]) =>
      seen(await service.startWorkflowExecution(request));
    const signalWithStartWorkflowExecution = async (
      request: Parameters<WorkflowService['signalWithStartWorkflowExecution']>[0],
    ) => seen(await service.signalWithStartWorkflowExecution(request));
    // Every other call goes to the service itself.
    return Object.create(service, {
      startWorkflowExecution: { value: startWorkflowExecution },
      signalWithStartWorkflowExecution: { value: signalWithStartWorkflowExecution },
    }) as WorkflowService;
  }
}

/** Runs one start (`start` or `signalWithStart` on the workflow client it is given) and says whether it made the run. */
export async function startSayingWhether<Handle>(
  client: Client,
  start: (workflow: WorkflowClient) => Promise<Handle>,
): Promise<{ handle: Handle; started: boolean }> {
  const workflow = new StartWatchingClient({ ...client.workflow.options });
  const handle = await start(workflow);
  return { handle, started: workflow.started };
}
