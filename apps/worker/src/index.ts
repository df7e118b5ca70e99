import { fileURLToPath } from 'node:url';

export {
  createRelforgeWorker,
  parseBuildTargets,
  projectPlatforms,
  relforgeActivities,
  workflowsPath,
  type RelforgeWorker,
  type RelforgeWorkerOptions,
} from './worker.js';
export { loadProjects, projectConfigPaths } from './projects.js';

/** The worker's process entry, for commands that spawn a worker (`relforge demo`, tests that kill one). */
export const workerMain = fileURLToPath(new URL('./main.js', import.meta.url));
