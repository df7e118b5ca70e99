/**
 * Which release a GitHub event asks for, by the projects' configs: a tag push to a project's source repository, or a
 * release published in its release repository, whose tag is one of the project's release tags. The configs are read
 * only to route; the release runs with the worker's own file, the one source of truth.
 */
import { loadProjectConfigs, versionOfTag, type ProjectConfig } from '@relforge/config';

export interface RoutedRelease {
  project: string;
  version: string;
}

/** Releases the event asks for, or why it asks for none. */
export type Routing = { releases: RoutedRelease[] } | { ignored: string };

const sameRepo = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export class ProjectRoutes {
  private constructor(private readonly configs: ProjectConfig[]) {}

  static async load(paths: string[], env: NodeJS.ProcessEnv): Promise<ProjectRoutes> {
    return new ProjectRoutes([...(await loadProjectConfigs(paths, env)).configs.values()]);
  }

  get projects(): string[] {
    return this.configs.map((config) => config.project);
  }

  /** The project's approval rule (for the team checks), null for a project without one, undefined for an unknown one. */
  approvalOf(project: string): ProjectConfig['approval'] | null | undefined {
    const config = this.configs.find((candidate) => candidate.project === project);
    return config ? (config.approval ?? null) : undefined;
  }

  /** The config of a project this gateway serves, for its forge and its access rules. */
  configOf(project: string): ProjectConfig | undefined {
    return this.configs.find((config) => config.project === project);
  }

  /** The projects built from a repository: an issue comment there speaks to them. */
  fromRepository(repository: string): ProjectConfig[] {
    return this.configs.filter((config) => sameRepo(config.source.repository, repository));
  }

  /** A pushed tag releases its version in every project that builds from that repository and tags like that. */
  forTagPush(repository: string, tag: string): Routing {
    return this.route(repository, tag, (config) => config.source.repository, 'source.repository');
  }

  /** A published release (Valkey's flow) in a project's release repository. */
  forPublishedRelease(repository: string, tag: string): Routing {
    return this.route(repository, tag, (config) => config.publish.release.repository, 'publish.release.repository');
  }

  private route(repository: string, tag: string, repoOf: (config: ProjectConfig) => string, field: string): Routing {
    const candidates = this.configs.filter((config) => sameRepo(repoOf(config), repository));
    if (candidates.length === 0) {
      const served = this.configs.map((config) => `${config.project} (${repoOf(config)})`).join(', ');
      return { ignored: `no project has ${field} ${repository}; this gateway routes ${served}` };
    }
    const releases = candidates.flatMap((config) => {
      const version = versionOfTag(config, tag);
      return version ? [{ project: config.project, version: version.text }] : [];
    });
    if (releases.length > 0) return { releases };
    const templates = candidates.map((config) => `${config.project}: "${config.publish.release.tag}"`).join(', ');
    return { ignored: `tag ${tag} is not a release tag (publish.release.tag of ${templates})` };
  }
}
