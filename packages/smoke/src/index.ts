/** Client-side entry: the smoke workflow's types, signal and queue, and where a worker finds its workflow code. */
import { fileURLToPath } from 'node:url';

export { proceedSignal, smokeTaskQueue, type SmokeInput, type SmokeResult } from './shared.js';

export const smokeWorkflowsPath = fileURLToPath(new URL('./workflows.js', import.meta.url));
