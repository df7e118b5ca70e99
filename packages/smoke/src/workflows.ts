import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './activities.js';
import { proceedSignal, type SmokeInput, type SmokeResult } from './shared.js';

const { digestMessage } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

export async function smoke(input: SmokeInput): Promise<SmokeResult> {
  let proceed = !input.waitForProceed;
  setHandler(proceedSignal, () => {
    proceed = true;
  });
  await condition(() => proceed);
  return digestMessage(input.message);
}
