/**
 * What a worker process serves, from its flags (`relforge worker`) or its environment (the systemd unit, tests):
 * the project configs it releases, where it works, which platforms it builds, and the Temporal service. Nothing
 * here falls back on the local stack or the bundled examples: a production worker says what it serves, and
 * `relforge stack up` passes the stack's own settings explicitly.
 */
import { readFileSync } from 'node:fs';
import { arch as hostArch } from 'node:os';
import { join, resolve } from 'node:path';
import { buildTargets, loadProjectConfigs, type BuildTarget, type ProjectConfig } from '@relforge/config';
import { InputError } from '@relforge/errors';
import { temporalSettingsFromEnv, type TemporalSettings } from '@relforge/temporal-connection';

export interface WorkerFlags {
  config?: string[];
  workDir?: string;
  builds?: string;
  buildsOnly?: boolean;
  temporalAddress?: string;
  namespace?: string;
  natsUrl?: string;
}

export interface WorkerSettings {
  temporal: TemporalSettings;
  /** Each project's config file, by project name: the one source of truth for how it is released. */
  projects: Map<string, string>;
  configs: Map<string, ProjectConfig>;
  workRoot: string;
  /** The platforms whose build queues this worker polls. */
  builds: BuildTarget[];
  /** Whether it also runs the release workflow and its non-build steps (the `relforge` queue). */
  serveReleases: boolean;
  /** The NATS server whose JetStream keeps the release events; absent: the releases it prepares log none. */
  events?: { url: string };
}

/** `nats://host:port` (or `tls://`, or a bare `host:port`): what the NATS client accepts, checked before it connects. */
function natsUrl(value: string, name: string): string {
  const withScheme = value.includes('://') ? value : `nats://${value}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    url = undefined;
  }
  if (!url || !['nats:', 'tls:'].includes(url.protocol) || !url.hostname || url.pathname.replace('/', '') !== '') {
    throw new InputError(`${name}=${value} is not the address of a NATS server`, {
      fix: `give it as nats://host:port, e.g. ${name}=nats://127.0.0.1:7222, or leave it unset to log no release events`,
    });
  }
  return withScheme;
}

const platform = (target: BuildTarget) => `${target.distro}/${target.arch}`;

/** This machine as a build platform: Debian-style codename and the matrix's arch names. */
export function hostPlatform(osRelease = '/etc/os-release'): string | undefined {
  let codename: string | undefined;
  try {
    codename = /^VERSION_CODENAME=(.+)$/m.exec(readFileSync(osRelease, 'utf8'))?.[1]?.replace(/"/g, '');
  } catch {
    return undefined;
  }
  const arch = { x64: 'x86_64', arm64: 'arm64' }[hostArch()];
  return codename && arch ? `${codename}/${arch}` : undefined;
}

function listed(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * The platforms to build: as asked, each checked against the configs' matrices (a platform no target uses is a
 * typo or a config that was not deployed); by default this machine's, when a matrix has it.
 */
function chooseBuilds(asked: string[] | undefined, configs: Map<string, ProjectConfig>): BuildTarget[] {
  const known = new Map<string, BuildTarget>();
  for (const config of configs.values()) for (const target of buildTargets(config)) known.set(platform(target), target);
  const names = [...known.keys()].sort().join(', ');
  if (asked === undefined) {
    const host = hostPlatform();
    return host && known.has(host) ? [known.get(host) as BuildTarget] : [];
  }
  // One machine that builds everything itself: the local stack, a test, a project without cross-builders.
  if (asked.length === 1 && asked[0] === 'all') return [...known.values()];
  return asked.map((name) => {
    const target = known.get(name);
    if (!target) {
      throw new InputError(`--builds ${name}: no target of the configured projects is built for that platform`, {
        fix: `use distro/arch from their build.matrix (${names || 'none'}) or all, or add the platform to a config's build.matrix`,
      });
    }
    return target;
  });
}

export async function workerSettings(
  flags: WorkerFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<WorkerSettings> {
  const paths = flags.config?.length ? flags.config : listed(env['RELFORGE_PROJECTS']);
  if (paths.length === 0) {
    throw new InputError('no project config given: a worker releases only the projects it is told to', {
      fix: 'pass --config <file> for each project (e.g. relforge worker --config relforge.yaml), or set RELFORGE_PROJECTS=<file>,<file>',
    });
  }
  const { files: projects, configs } = await loadProjectConfigs(
    paths.map((path) => resolve(path)),
    env,
  );
  const buildsText = flags.builds ?? env['RELFORGE_BUILDS'];
  const builds = chooseBuilds(buildsText === undefined ? undefined : listed(buildsText), configs);
  const serveReleases = !(flags.buildsOnly ?? env['RELFORGE_SERVE_RELEASES'] === 'false');
  if (!serveReleases && builds.length === 0) {
    throw new InputError('a build-only worker with no platform to build would serve nothing', {
      fix: 'name its platforms: relforge worker --builds-only --builds bookworm/arm64',
    });
  }
  const temporal = temporalSettingsFromEnv({
    ...env,
    ...(flags.temporalAddress ? { RELFORGE_TEMPORAL_ADDRESS: flags.temporalAddress } : {}),
    ...(flags.namespace ? { RELFORGE_NAMESPACE: flags.namespace } : {}),
  });
  const workRoot = resolve(flags.workDir ?? env['RELFORGE_WORK_DIR'] ?? join(process.cwd(), 'relforge-work'));
  const eventsUrl = flags.natsUrl ?? (env['RELFORGE_NATS_URL'] || undefined);
  const events = eventsUrl
    ? { url: natsUrl(eventsUrl, flags.natsUrl ? '--nats-url' : 'RELFORGE_NATS_URL') }
    : undefined;
  return { temporal, projects, configs, workRoot, builds, serveReleases, ...(events ? { events } : {}) };
}

export { platform };
