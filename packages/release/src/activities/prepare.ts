import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { buildTargets, loadProjectConfig, parseVersion, releaseName, releaseTag, stagesToRun } from '@relforge/config';
import { InputError } from '@relforge/errors';
import {
  completedReleaseQuery,
  ReleaseFailureType,
  type ConfigFile,
  type ReleaseInput,
  type ReleasePlan,
} from '../shared.js';
import { PermanentError } from './failures.js';
import { checkReleaseKey } from './release-key.js';
import { forgeFor, remoteFor, type ReleaseServices } from './services.js';

/**
 * Another run of this release's workflow id that completed: the version is out already. Asked of Temporal's
 * visibility, which keeps closed runs for the namespace's retention period; past it the guard cannot see the
 * earlier run, and what still stops a second release is every step's check before it creates.
 */
async function completedRun(): Promise<{ runId: string; closeTime?: Date } | undefined> {
  const { client, info } = Context.current();
  if (!info.workflowExecution) throw new Error('prepareRelease runs only as an activity of the release workflow');
  const { workflowId, runId } = info.workflowExecution;
  const query = completedReleaseQuery(workflowId);
  for await (const execution of client.workflow.list({ query })) {
    if (execution.runId !== runId)
      return { runId: execution.runId, ...(execution.closeTime ? { closeTime: execution.closeTime } : {}) };
  }
  return undefined;
}

/**
 * The worker's config file, by digest: the one source of truth a release runs with. A caller that holds another file
 * (`configSha256` differs) is refused before anything is done, instead of being silently ignored.
 */
async function pinnedConfigFile(path: string, expected: string | undefined): Promise<ConfigFile> {
  const sha256 = createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
  if (expected !== undefined && expected !== sha256) {
    throw new InputError(
      `configSha256: the config you released with (sha256 ${expected}) is not the worker's ${path} (sha256 ${sha256})`,
      {
        fix: `deploy your file to the worker as ${path} and restart the worker, or release with the worker's config`,
      },
    );
  }
  return { path, sha256 };
}

/**
 * Fixes what the release works from: the config as it is now, the version,
 * and the one commit `source.ref` names. Refuses bad input before any step
 * runs, so nothing is half-done.
 */
export async function prepareRelease(
  services: ReleaseServices,
  input: ReleaseInput & { startedAt: string },
): Promise<ReleasePlan> {
  const configPath = services.projects.get(input.project);
  if (!configPath) {
    const known = [...services.projects.keys()].sort().join(', ') || 'none';
    throw new InputError(`unknown project "${input.project}" (this worker releases: ${known})`, {
      fix: 'check the project name, or add its config file to RELFORGE_PROJECTS and restart the worker',
    });
  }
  const configFile = await pinnedConfigFile(configPath, input.configSha256);
  const config = await loadProjectConfig(configPath, services.env);
  if (config.project !== input.project) {
    throw new InputError(`${configPath} is the config of "${config.project}", not "${input.project}"`, {
      fix: "fix `project:` in that file or the worker's RELFORGE_PROJECTS list",
    });
  }
  const version = parseVersion(input.version);
  if (
    input.rerelease !== undefined &&
    (typeof input.rerelease?.reason !== 'string' || input.rerelease.reason.trim() === '')
  ) {
    throw new InputError('rerelease.reason: a re-release needs a reason for the audit trail', {
      fix: 'pass `--rerelease --reason "<why>"`, or in JSON input "rerelease": {"reason": "<why>"}',
    });
  }
  if (input.rerelease?.by !== undefined && typeof input.rerelease.by !== 'string') {
    throw new InputError('rerelease.by: expected a string naming who re-releases', {
      fix: 'pass e.g. "by": "alice@build-host", or leave it out',
    });
  }
  if (input.fromTag !== undefined && typeof input.fromTag !== 'boolean') {
    throw new InputError('fromTag: expected true or false', {
      fix: 'pass "fromTag": true to build the commit the release tag points at, or leave it out to build source.ref',
    });
  }
  const previous = await completedRun();
  if (previous && !input.rerelease) {
    // Dask's tag-triggered workflow raced with itself and released twice; here the second trigger stops before any step.
    const when = previous.closeTime ? ` on ${previous.closeTime.toISOString()}` : '';
    throw new PermanentError(
      ReleaseFailureType.AlreadyReleased,
      `${config.project} ${version.text} was already released by run ${previous.runId}${when}; this run did nothing`,
      {
        fix: `nothing to do if that release is good; to release it again on purpose use \`relforge release ${version.text} --rerelease --reason "<why>"\` (JSON input: "rerelease": {"reason": "<why>"}); digests already published still cannot change`,
      },
    );
  }
  const forge = forgeFor(config.forge, services);
  const remote = await remoteFor(forge, config.source.repository);
  const tag = releaseTag(config, version);
  // A re-release rebuilds what was released, from its tag, not whatever the branch holds now; so does a release
  // triggered by the tag itself.
  const tagged = input.rerelease || input.fromTag ? await services.git.resolveRemoteRef(remote, tag) : undefined;
  if (input.fromTag && !input.rerelease && !tagged) {
    throw new InputError(
      `fromTag: ${config.project} ${version.text} is to be built from tag ${tag}, but ${config.source.repository} has no such tag`,
      {
        fix: `push the tag to ${config.source.repository} (the source repository the release builds from), then redeliver the webhook; when the release repository is another one, its tags must be pushed to both`,
      },
    );
  }
  const released = input.rerelease ? tagged : undefined;
  if (input.rerelease && !released) {
    throw new InputError(
      `rerelease: ${config.project} ${version.text} has no tag ${tag} in ${config.source.repository} to rebuild from`,
      {
        fix: `a version never published is released without --rerelease; if the tag was deleted, push it again at the released commit`,
      },
    );
  }
  const sourceCommit = tagged ?? (await services.git.resolveRemoteRef(remote, config.source.ref));
  if (!sourceCommit) {
    throw new InputError(
      `source.ref "${config.source.ref}" is not a branch, tag or commit of ${config.source.repository}`,
      {
        fix: `push it, or set source.ref in ${configPath} to one that exists`,
      },
    );
  }
  const workDir = join(services.workRoot, config.project, version.text);
  // Hours of builds are not spent on a release whose key would be refused at the checksum stage.
  const releaseKey = await checkReleaseKey(config, services, workDir);
  return {
    project: config.project,
    version,
    config,
    configFile,
    sourceCommit,
    stages: [...stagesToRun(config)],
    targets: buildTargets(config),
    tag,
    releaseName: releaseName(config, version),
    workDir,
    startedAt: input.startedAt,
    ...(releaseKey ? { releaseKey: { publicKey: releaseKey.line, fingerprint: releaseKey.fingerprint } } : {}),
  };
}
