/**
 * The train's one step of its own: reading the project's `train` config when a train starts, so the workflow works
 * from channels, rules and a soak time fixed in its history (and carried across continue-as-new).
 */
import { msToNumber } from '@temporalio/common/lib/time.js';
import { loadProjectConfig, parseVersion, TrainConfig } from '@relforge/config';
import { InputError } from '@relforge/errors';
import type { TrainInput, TrainPlan } from '../train-shared.js';
import type { ReleaseServices } from './services.js';

export async function prepareTrain(
  services: ReleaseServices,
  input: Pick<TrainInput, 'project' | 'version' | 'channel'>,
): Promise<TrainPlan> {
  const configPath = services.projects.get(input.project);
  if (!configPath) {
    const known = [...services.projects.keys()].sort().join(', ') || 'none';
    throw new InputError(`unknown project "${input.project}" (this worker releases: ${known})`, {
      fix: 'check the project name, or add its config file to RELFORGE_PROJECTS and restart the worker',
    });
  }
  const version = parseVersion(input.version);
  if (version.isPrerelease)
    throw new InputError(`version: a train is named by its final version, not a prerelease (${version.text})`, {
      fix: `start the train of ${version.major}.${version.minor}.${version.patch}; it releases the prereleases itself`,
    });
  const config = await loadProjectConfig(configPath, services.env);
  const train = config.train ?? TrainConfig.parse({});
  if (input.channel !== undefined && !train.channels.includes(input.channel))
    throw new InputError(
      `channel: ${JSON.stringify(input.channel)} is not one of the config's train.channels (${train.channels.join(', ')})`,
      { fix: `start on one of ${train.channels.join(', ')}, or add the channel to train.channels in ${configPath}` },
    );
  return {
    channels: train.channels,
    requireRc: train.requireRc,
    soakMs: train.soak ? msToNumber(train.soak as Parameters<typeof msToNumber>[0]) : 0,
    ...(train.soak ? { soak: train.soak } : {}),
    stepsPerRun: train.stepsPerRun,
  };
}
