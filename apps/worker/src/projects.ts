/**
 * The projects a worker releases: config files named by RELFORGE_PROJECTS
 * (comma-separated), or the bundled examples. Each is loaded once at start-up
 * so a broken config stops the worker with the file and field, instead of
 * failing a release later.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadProjectConfig } from '@relforge/config';
import { InputError } from '@relforge/errors';
import { workspaceRoot } from '@relforge/local-servers';

export function projectConfigPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = env['RELFORGE_PROJECTS'];
  if (listed)
    return listed
      .split(',')
      .map((path) => resolve(path.trim()))
      .filter(Boolean);
  const examples = join(workspaceRoot(), 'examples');
  return readdirSync(examples, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(examples, entry.name, 'relforge.yaml'));
}

export async function loadProjects(paths: string[]): Promise<Map<string, string>> {
  const projects = new Map<string, string>();
  for (const path of paths) {
    const config = await loadProjectConfig(path);
    const other = projects.get(config.project);
    if (other) {
      throw new InputError(`project "${config.project}" is configured twice: ${other} and ${path}`, {
        fix: 'list each project once in RELFORGE_PROJECTS',
      });
    }
    projects.set(config.project, path);
  }
  return projects;
}
