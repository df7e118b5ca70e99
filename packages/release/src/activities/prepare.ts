import { join } from 'node:path';
import { buildTargets, loadProjectConfig, parseVersion, releaseName, releaseTag, stagesToRun } from '@relforge/config';
import { InputError } from '@relforge/errors';
import type { ReleaseInput, ReleasePlan } from '../shared.js';
import { forgeFor, remoteFor, type ReleaseServices } from './services.js';

/**
 * Fixes what the release works from: the config as it is now, the version,
 * and the one commit `source.ref` names. Refuses bad input before any step
 * runs, so nothing is half-done.
 */
export async function prepareRelease(services: ReleaseServices, input: ReleaseInput & { startedAt: string }): Promise<ReleasePlan> {
  const configPath = services.projects.get(input.project);
  if (!configPath) {
    const known = [...services.projects.keys()].sort().join(', ') || 'none';
    throw new InputError(`unknown project "${input.project}" (this worker releases: ${known})`, {
      fix: 'check the project name, or add its config file to RELFORGE_PROJECTS and restart the worker',
    });
  }
  const config = await loadProjectConfig(configPath, services.env);
  if (config.project !== input.project) {
    throw new InputError(`${configPath} is the config of "${config.project}", not "${input.project}"`, {
      fix: 'fix `project:` in that file or the worker\'s RELFORGE_PROJECTS list',
    });
  }
  const version = parseVersion(input.version);
  const forge = forgeFor(config, services);
  const remote = await remoteFor(forge, config.source.repository);
  const sourceCommit = await services.git.resolveRemoteRef(remote, config.source.ref);
  if (!sourceCommit) {
    throw new InputError(`source.ref "${config.source.ref}" is not a branch, tag or commit of ${config.source.repository}`, {
      fix: `push it, or set source.ref in ${configPath} to one that exists`,
    });
  }
  return {
    project: config.project,
    version,
    config,
    sourceCommit,
    stages: [...stagesToRun(config)],
    targets: buildTargets(config),
    tag: releaseTag(config, version),
    releaseName: releaseName(config, version),
    workDir: join(services.workRoot, config.project, version.text),
    startedAt: input.startedAt,
  };
}
