import { fileURLToPath } from 'node:url';

export {
  createRelforgeWorker,
  relforgeActivities,
  workflowsPath,
  type RelforgeWorker,
  type RelforgeWorkerOptions,
} from './worker.js';
export { runWorker } from './run.js';
export { hostPlatform, platform, workerSettings, type WorkerFlags, type WorkerSettings } from './settings.js';

/** The worker's process entry, for commands that spawn a worker (`relforge stack up`, tests that kill one). */
export const workerMain = fileURLToPath(new URL('./main.js', import.meta.url));
