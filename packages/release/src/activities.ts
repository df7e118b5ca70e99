/**
 * The release activities, bound to the services they run against. The
 * workflow imports only the type, through `proxyActivities`.
 */
import { attestPublication } from './activities/attest.js';
import { reportingFailures } from './activities/failures.js';
import { buildSourceTarball, buildTarget } from './activities/build.js';
import { checksumArtifacts } from './activities/checksum.js';
import { openEventLog, publishEvents } from './activities/events.js';
import { prepareRelease } from './activities/prepare.js';
import { publishForgeRelease, stageForgeRelease, uploadArtifacts } from './activities/publish.js';
import { updateChecksumRepo, updateContainerRepo, updateWebsite } from './activities/repos.js';
import {
  withdrawForgeRelease,
  withdrawPullRequest,
  withdrawStagedFiles,
  withdrawUploads,
} from './activities/rollback.js';
import type { ReleaseServices } from './activities/services.js';
import { prepareTrain } from './activities/train.js';

type Bound<F> = F extends (services: ReleaseServices, ...args: infer A) => infer R ? (...args: A) => R : never;

function bind<F extends (services: ReleaseServices, ...args: never[]) => Promise<unknown>>(
  services: ReleaseServices,
  activity: F,
): Bound<F> {
  return ((...args: never[]) => activity(services, ...args)) as Bound<F>;
}

export function createReleaseActivities(services: ReleaseServices) {
  return reportingFailures({
    prepareRelease: bind(services, prepareRelease),
    buildTarget: bind(services, buildTarget),
    buildSourceTarball: bind(services, buildSourceTarball),
    checksumArtifacts: bind(services, checksumArtifacts),
    uploadArtifacts: bind(services, uploadArtifacts),
    stageForgeRelease: bind(services, stageForgeRelease),
    publishForgeRelease: bind(services, publishForgeRelease),
    updateChecksumRepo: bind(services, updateChecksumRepo),
    updateContainerRepo: bind(services, updateContainerRepo),
    updateWebsite: bind(services, updateWebsite),
    attestPublication: bind(services, attestPublication),
    openEventLog: bind(services, openEventLog),
    publishEvents: bind(services, publishEvents),
    withdrawPullRequest: bind(services, withdrawPullRequest),
    withdrawForgeRelease: bind(services, withdrawForgeRelease),
    withdrawUploads: bind(services, withdrawUploads),
    withdrawStagedFiles: bind(services, withdrawStagedFiles),
    prepareTrain: bind(services, prepareTrain),
  });
}

export type ReleaseActivities = ReturnType<typeof createReleaseActivities>;
export type { ReleaseEventLog, ReleaseServices } from './activities/services.js';
