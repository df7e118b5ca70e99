/**
 * The workflow bundle a worker runs, made once per build of the code it holds: webpack takes seconds of a core at
 * every start otherwise, and a worker is started again and again (after a kill, by each `relforge stack up`, by every
 * test that restarts one). The bundle is kept under a name that is a digest of every file it can hold, so a rebuild of
 * any workspace package the workflows import, a new lockfile or another SDK version makes a new one instead of reusing
 * a stale one.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleOption } from '@temporalio/worker';

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
}

const readPackage = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

/** The folder of a dependency as this package's node_modules links it (pnpm: a link to the workspace package). */
function dependencyDir(from: string, name: string): string | undefined {
  const linked = join(from, 'node_modules', name);
  return existsSync(linked) ? realpathSync(linked) : undefined;
}

function jsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js') && !file.includes('.bundles'))
    .sort()
    .map((file) => join(dir, file));
}

function workspaceLockfile(packageDir: string): string | undefined {
  for (let dir = packageDir; dirname(dir) !== dir; dir = dirname(dir))
    if (existsSync(join(dir, 'pnpm-lock.yaml'))) return join(dir, 'pnpm-lock.yaml');
  return undefined;
}

/**
 * A digest of what the bundle can contain: the built files of this package and of every workspace package it depends
 * on, directly or not, and the versions of the SDK's workflow packages.
 */
export function workflowCodeDigest(packageDir: string): string {
  const hash = createHash('sha256');
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const manifest = readPackage(dir);
    for (const [name, spec] of Object.entries(manifest.dependencies ?? {})) {
      const depDir = dependencyDir(dir, name);
      if (!depDir) continue;
      if (spec.startsWith('workspace:')) visit(depDir);
      else if (name.startsWith('@temporalio/')) hash.update(`${name}@${readPackage(depDir).version ?? ''}\n`);
    }
    for (const file of jsFiles(join(dir, 'dist'))) hash.update(file).update('\0').update(readFileSync(file));
  };
  visit(packageDir);
  // Third-party code the workflows import (zod, the SDK's own dependencies) changes only with the lockfile.
  const lockfile = workspaceLockfile(packageDir);
  if (lockfile) hash.update(readFileSync(lockfile));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The bundle of `workflowsPath`, a module of the package in `packageDir`, for the code as built now: read from the
 * kept one (in the package's `dist/.bundles`), or made and kept. Workers started at the same moment may both make it;
 * each writes its own file and renames it into place, so none reads half a file.
 */
export async function cachedWorkflowBundle(
  packageDir: string,
  workflowsPath: string,
  logger?: BundleOptions['logger'],
): Promise<WorkflowBundleOption> {
  // Named for the entry point too: two workflow modules of one package are two bundles.
  const entry = createHash('sha256').update(relative(packageDir, workflowsPath)).digest('hex').slice(0, 8);
  const codePath = join(packageDir, 'dist', '.bundles', `workflows-${entry}-${workflowCodeDigest(packageDir)}.js`);
  if (existsSync(codePath)) return { codePath };
  const { code } = await bundleWorkflowCode({ workflowsPath, ...(logger ? { logger } : {}) });
  try {
    mkdirSync(dirname(codePath), { recursive: true });
    const partial = `${codePath}.${process.pid}.partial`;
    writeFileSync(partial, code);
    renameSync(partial, codePath);
    forgetOldBundles(dirname(codePath));
  } catch {
    // A read-only install: the bundle is made at each start, as the SDK would.
    return { code };
  }
  return { codePath };
}

/** Bundles of earlier builds, a day old: no worker starting now can still be reading them. */
function forgetOldBundles(dir: string): void {
  const dayAgo = Date.now() - 86_400_000;
  for (const file of readdirSync(dir)) {
    const path = join(dir, file);
    if (statSync(path).mtimeMs < dayAgo) rmSync(path, { force: true });
  }
}
