/**
 * The release activities, bound to the services they run against: each stage's from its folder (`stages/<stage>/`),
 * and those around the stages. The workflow imports only the type, through `proxyActivities`. The keys are the
 * activity types recorded in every history: never rename one.
 */
import { attestPublication } from './activities/attest.js';
import { reportingFailures } from './activities/failures.js';
import { openEventLog, publishEvents } from './activities/events.js';
import { prepareRelease } from './activities/prepare.js';
import { withdrawPullRequest } from './activities/repository.js';
import type { ReleaseServices } from './activities/services.js';
import { prepareTrain } from './activities/train.js';
import { buildSourceTarball, buildTarget } from './stages/build/activities.js';
import { withdrawStagedFiles } from './stages/build/undo-activities.js';
import { checksumArtifacts } from './stages/checksum/activities.js';
import { updateChecksumRepo } from './stages/checksum-repo/activities.js';
import { updateContainerRepo } from './stages/container-repo/activities.js';
import { publishForgeRelease, stageForgeRelease, uploadArtifacts } from './stages/publish/activities.js';
import { withdrawForgeRelease, withdrawUploads } from './stages/publish/undo-activities.js';
import { updateWebsite } from './stages/website/activities.js';

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
