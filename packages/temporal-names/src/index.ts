/**
 * The names Relforge registers with Temporal, shared by workflow code, clients,
 * workers and the dev servers that register them. Imported by workflow code, so
 * it must stay free of Node imports.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Every Relforge workflow runs on this queue; one worker process serves them all. */
export const taskQueue = 'relforge';

/** Keyword attributes, so releases can be filtered in the Web UI: `RelforgeProject="hello"`. */
export const RelforgeProject = defineSearchAttributeKey('RelforgeProject', SearchAttributeType.KEYWORD);
export const RelforgeVersion = defineSearchAttributeKey('RelforgeVersion', SearchAttributeType.KEYWORD);
export const RelforgeStage = defineSearchAttributeKey('RelforgeStage', SearchAttributeType.KEYWORD);
export const RelforgeState = defineSearchAttributeKey('RelforgeState', SearchAttributeType.KEYWORD);

/** Registered on every dev server Relforge starts, tests included. */
export const relforgeSearchAttributes = [RelforgeProject, RelforgeVersion, RelforgeStage, RelforgeState] as const;
