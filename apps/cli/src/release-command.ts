/**
 * `relforge release <version>`: starts the release of the project in the config, or attaches to the one already
 * running for that version, and shows its progress stage by stage until it ends. The config itself is the
 * worker's (the one source of truth for how a project is released); the file given here names the project.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { loadProjectConfig, parseVersion } from '@relforge/config';
import { InputError } from '@relforge/errors';
import { releaseWorkflowId, type ReleaseInput, type ReleaseStatus } from '@relforge/release';
import { startRelease } from '@relforge/release-start';
import { exitCodeOf } from './errors.js';
import { auditOperatorAction, releaseStarter, whoAmI } from './operator-audit.js';
import { printOutcome, printStageChanges } from './release-output.js';
import type { ReleaseRun } from './release-state.js';
import { connect, temporalTarget, type TemporalTarget } from './temporal-target.js';
import { followWatched } from './workers.js';

async function startOrAttach(client: Client, input: ReleaseInput) {
  const started = await startRelease(client, input);
  if (started.how === 'attached' && input.rerelease) {
    console.error(
      `relforge: ${input.project} ${input.version} is being released right now; following that run ` +
        '(--rerelease applies only to a finished release)',
    );
  }
  return started;
}

/** Starts or attaches, then follows to the end; says so, within seconds, while no worker serves the queue. */
export async function runRelease(
  target: TemporalTarget,
  input: ReleaseInput,
  onStatus: (status: ReleaseStatus) => void,
): Promise<ReleaseRun> {
  const { client, close } = await connect(target);
  try {
    const { handle, how } = await startOrAttach(client, input);
    const ended = await followWatched(client, target, handle, onStatus);
    return { workflowId: handle.workflowId, ...ended, how: ended.alreadyReleased ? 'completed' : how };
  } finally {
    await close();
  }
}

/** The project a config file names, and the sha256 of its bytes, as the worker computes it for its own. */
async function configOf(path: string): Promise<{ project: string; sha256: string }> {
  const { project } = await loadProjectConfig(path);
  return {
    project,
    sha256: createHash('sha256')
      .update(await readFile(path))
      .digest('hex'),
  };
}

interface ReleaseOptions {
  config: string;
  project?: string;
  json?: boolean;
  rerelease?: boolean;
  reason?: string;
}

export function releaseCommand(): Command {
  return new Command('release')
    .description('release a version of the project in the config: start it, or attach to the one running')
    .argument('<version>', 'the version to release, e.g. 8.1.0 or 8.1.0-rc1')
    .option('-c, --config <file>', "the project's release config: names the project", 'relforge.yaml')
    .option('-p, --project <name>', 'name the project instead of reading a config file')
    .option('--json', 'print the final status as JSON, nothing else')
    .option(
      '--rerelease',
      'release a version that was already released, on purpose (needs --reason; published digests still cannot change)',
    )
    .option('--reason <text>', 'why the version is released again, for the audit trail')
    .action(async (versionText: string, options: ReleaseOptions) => {
      if (options.reason !== undefined && !options.rerelease) {
        throw new InputError('--reason is only for --rerelease', { fix: 'add --rerelease, or drop --reason' });
      }
      if (options.rerelease && !options.reason?.trim()) {
        throw new InputError('--rerelease needs --reason "<why>"', {
          fix: 'say why the version is released again, e.g. --reason "asset deleted by mistake"',
        });
      }
      // The worker's file is the one the release runs with; this one's digest makes the worker refuse a mismatch
      // instead of silently using its own.
      const configFile = options.project ? undefined : await configOf(options.config);
      const project = options.project ?? configFile?.project ?? '';
      const version = parseVersion(versionText);
      const target = temporalTarget();
      const input: ReleaseInput = {
        project,
        version: version.text,
        ...(configFile ? { configSha256: configFile.sha256 } : {}),
        // The approval stage refuses this person's own approval unless the config allows it.
        startedBy: releaseStarter(),
        ...(options.rerelease && options.reason
          ? { rerelease: { reason: options.reason, by: `${whoAmI()}@${hostname()}` } }
          : {}),
      };
      await auditOperatorAction({
        namespace: target.namespace,
        operation: input.rerelease ? 're-release' : 'release',
        project,
        inputs: { version: version.text, ...(input.rerelease ? { reason: input.rerelease.reason } : {}) },
        workflowId: releaseWorkflowId(project, version.text),
      });
      const seen = new Map<string, string>();
      const run = await runRelease(target, input, (status) => {
        if (!options.json) printStageChanges(status, seen);
      });
      if (options.json)
        console.log(JSON.stringify({ workflowId: run.workflowId, how: run.how, ...run.status }, null, 2));
      else printOutcome(run, target);
      process.exitCode = exitCodeOf(run);
    });
}
