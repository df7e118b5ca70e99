import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedWorkflowBundle } from '../src/index.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };
const here = fileURLToPath(new URL('.', import.meta.url));
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A package of one workflow, inside this one so the SDK's modules resolve from it. */
function workflowPackage(): { dir: string; workflows: string } {
  const dir = mkdtempSync(join(here, 'package-'));
  made.push(dir);
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'example', type: 'module' }));
  const workflows = join(dir, 'dist', 'workflows.js');
  writeFileSync(workflows, "export async function greet() { return 'hello'; }\n");
  return { dir, workflows };
}

const pathOf = (bundle: Awaited<ReturnType<typeof cachedWorkflowBundle>>) =>
  'codePath' in bundle ? bundle.codePath : undefined;

describe('the kept workflow bundle', () => {
  it('is made once for the code as built, and made again when a built file changes', async () => {
    const { dir, workflows } = workflowPackage();
    const first = pathOf(await cachedWorkflowBundle(dir, workflows, quiet));
    expect(first).toMatch(/\/dist\/\.bundles\/workflows-[0-9a-f]{8}-[0-9a-f]{16}\.js$/);
    const madeAt = statSync(first ?? '').mtimeMs;

    const again = pathOf(await cachedWorkflowBundle(dir, workflows, quiet));
    expect(again).toBe(first);
    expect(statSync(again ?? '').mtimeMs).toBe(madeAt);

    writeFileSync(workflows, "export async function greet() { return 'hello again'; }\n");
    const rebuilt = pathOf(await cachedWorkflowBundle(dir, workflows, quiet));
    expect(rebuilt).not.toBe(first);
    expect(readFileSync(rebuilt ?? '', 'utf8')).toContain('hello again');
  }, 120_000);

  it('keeps one bundle per entry point of a package', async () => {
    const { dir, workflows } = workflowPackage();
    const other = join(dir, 'dist', 'other.js');
    writeFileSync(other, "export async function wave() { return 'bye'; }\n");
    const greet = pathOf(await cachedWorkflowBundle(dir, workflows, quiet));
    const wave = pathOf(await cachedWorkflowBundle(dir, other, quiet));
    expect(wave).not.toBe(greet);
    expect(readFileSync(greet ?? '', 'utf8')).not.toContain("'bye'");
    expect(readFileSync(wave ?? '', 'utf8')).toContain("'bye'");
  }, 120_000);
});
