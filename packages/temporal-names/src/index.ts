/**
 * The names Relforge registers with Temporal, shared by workflow code, clients,
 * workers and the dev servers that register them. Imported by workflow code, so
 * it must stay free of Node imports.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Every Relforge workflow, and every release step that is not a platform's build, runs on this queue. */
export const taskQueue = 'relforge';

/**
 * The queue of one platform's builds: only workers started to build that platform (`relforge worker --builds
 * bookworm/arm64`) poll it, so a target is built on a machine that can build it.
 */
export function buildTaskQueue(platform: { distro: string; arch: string }): string {
  return `relforge-build-${platform.distro}-${platform.arch}`;
}

/** Keyword attributes, so releases can be filtered in the Web UI: `RelforgeProject="hello"`. */
export const RelforgeProject = defineSearchAttributeKey('RelforgeProject', SearchAttributeType.KEYWORD);
export const RelforgeVersion = defineSearchAttributeKey('RelforgeVersion', SearchAttributeType.KEYWORD);
export const RelforgeStage = defineSearchAttributeKey('RelforgeStage', SearchAttributeType.KEYWORD);
export const RelforgeState = defineSearchAttributeKey('RelforgeState', SearchAttributeType.KEYWORD);

/** Registered on every dev server Relforge starts, tests included. */
export const relforgeSearchAttributes = [RelforgeProject, RelforgeVersion, RelforgeStage, RelforgeState] as const;
