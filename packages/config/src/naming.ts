/**
 * Names derived from a config and a version: the release tag and title, the build targets, and the artifact file
 * names that storage, checksum lines, Dockerfiles and the website all refer to.
 */
import type { ProjectConfig } from './schema.js';
import { renderTemplate } from './templates.js';
import { ReleaseVersionText, type ReleaseVersion } from './version.js';

type MatrixEntry = ProjectConfig['build']['matrix'][number];

/** One distro/arch pair of the build matrix: one build, one artifact. */
export interface BuildTarget {
  distro: MatrixEntry['distro'];
  arch: MatrixEntry['arch'][number];
}

const releaseValues = (config: ProjectConfig, version: ReleaseVersion) => ({
  version: version.text,
  project: config.project,
  majorMinor: version.majorMinor,
});

/** The git tag of the release, e.g. "v8.1.0" from the template "v{version}". */
export function releaseTag(config: ProjectConfig, version: ReleaseVersion): string {
  return renderTemplate(config.publish.release.tag, releaseValues(config, version));
}

/**
 * The version a tag releases under this config's tag template, or undefined when it is not one of its release tags:
 * under "v{version}", "v8.1.0" is 8.1.0, and "latest", "v8.1" or "valkey-8.1.0" are none.
 */
export function versionOfTag(config: ProjectConfig, tag: string): ReleaseVersion | undefined {
  // Whatever part of the tag parses as a version and renders back to the tag, {project} and {majorMinor} included.
  for (let begin = 0; begin < tag.length; begin++) {
    for (let end = tag.length; end > begin; end--) {
      const parsed = ReleaseVersionText.safeParse(tag.slice(begin, end));
      if (parsed.success && releaseTag(config, parsed.data) === tag) return parsed.data;
    }
  }
  return undefined;
}

/** The title of the forge release, e.g. "valkey 8.1.0". */
export function releaseName(config: ProjectConfig, version: ReleaseVersion): string {
  return renderTemplate(config.publish.release.name, releaseValues(config, version));
}

/** Every build target, in the order the matrix lists them. */
export function buildTargets(config: ProjectConfig): BuildTarget[] {
  return config.build.matrix.flatMap(({ distro, arch }) => arch.map((oneArch) => ({ distro, arch: oneArch })));
}

/** `<project>-<version>-<distro>-<arch>.tar.gz` for a build target, `<project>-<version>.tar.gz` for the source tarball. */
export function artifactFileName(project: string, version: ReleaseVersion['text'], target?: BuildTarget): string {
  const suffix = target === undefined ? '' : `-${target.distro}-${target.arch}`;
  return `${project}-${version}${suffix}.tar.gz`;
}
