/**
 * A release's history grows linearly in its artifacts: each step gets only its part of the plan, so a 200-target
 * release stays under 2 MB of history with no payload over 256 kB. Measured on the real workflow with stub activities
 * that return what the real ones would, at 20, 50, 100 and 200 targets (no-op builds, every platform its own builder),
 * its events logged to a JetStream of this file's own, as a production worker logs them.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { suiteEventLog } from '../harness.js';
import { fastServer, matrixOf, stubActivities } from './stub-release.js';

/**
 * 200 platforms are 200 task queues polled at once, past the dev server's defaults for one namespace (1200 polls, 4
 * partitions a queue); a production cluster is sized for its workers the same way.
 */
const server = fastServer({
  dynamicConfig: {
    'frontend.namespaceCount': 10_000,
    'matching.numTaskqueueReadPartitions': 1,
    'matching.numTaskqueueWritePartitions': 1,
  },
});

const events = suiteEventLog();

interface HistorySize {
  targets: number;
  events: number;
  /** The server's own count of the history's bytes. */
  bytes: number;
  largestPayload: number;
  /** The event that carries it. */
  largestIn: string;
  /** Every activity's input, added up: what grew with artifacts times the plan before. */
  activityInputs: number;
}

type Payload = { data?: Uint8Array | null; metadata?: unknown };

/** Every payload anywhere in a history: inputs, results, failures' details, search attributes. */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return found;
  const candidate = value as Payload;
  if (candidate.data instanceof Uint8Array && candidate.metadata !== undefined) {
    found.push(candidate);
    return found;
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) payloadsIn(child, found);
  return found;
}

async function measure(handle: WorkflowHandle, targets: number): Promise<HistorySize> {
  const events = (await handle.fetchHistory()).events ?? [];
  const described = await handle.describe();
  const bytes = Number(described.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
  const inputs = events.flatMap((event) => payloadsIn(event.activityTaskScheduledEventAttributes?.input));
  const largest = events
    .map((event) => ({
      event,
      size: Math.max(0, ...payloadsIn(event).map((payload) => payload.data?.length ?? 0)),
    }))
    .reduce((most, candidate) => (candidate.size > most.size ? candidate : most));
  const attributes = Object.keys(largest.event).find((key) => key.endsWith('EventAttributes')) ?? 'unknown';
  return {
    targets,
    events: events.length,
    bytes,
    largestPayload: largest.size,
    largestIn: attributes.replace(/EventAttributes$/, ''),
    activityInputs: inputs.reduce((sum, payload) => sum + (payload.data?.length ?? 0), 0),
  };
}

async function releaseOf(targets: number): Promise<HistorySize> {
  const input = { project: `size-${randomBytes(3).toString('hex')}`, version: '3.0.0' };
  const matrix = matrixOf(targets);
  const { activities } = stubActivities({ ...input, matrix, events: events().log });
  const workers = await server().workers(activities, matrix);
  const handle = await server().start(input);
  const status = await workers.runUntil(handle.result());
  expect(status.state).toBe('succeeded');
  // Every build was taken by its platform's builder at once: no waits for a builder inflate the history.
  expect(status.builds?.every((build) => build.state === 'built' && build.waitingSince === undefined)).toBe(true);
  expect(status.artifacts).toHaveLength(2 * (targets + 1) + 2);
  return measure(handle, targets);
}

describe('the history of a release', () => {
  it('grows linearly in artifacts: 200 targets under 2 MB, no payload over 256 kB', async () => {
    const sizes: HistorySize[] = [];
    for (const targets of [20, 50, 100, 200]) sizes.push(await releaseOf(targets));
    console.log(
      [
        '',
        'release history by build targets (stub activities with realistic results; bytes as the server counts them)',
        '  targets  events   history bytes   largest payload   activity inputs   largest payload in',
        ...sizes.map(
          (size) =>
            `  ${String(size.targets).padStart(7)}  ${String(size.events).padStart(6)}  ${String(size.bytes).padStart(14)}  ${String(size.largestPayload).padStart(16)}  ${String(size.activityInputs).padStart(16)}   ${size.largestIn}`,
        ),
        '',
      ].join('\n'),
    );
    const [, fifty, hundred, twoHundred] = sizes;
    if (!fifty || !hundred || !twoHundred) throw new Error('a size is missing');
    expect(twoHundred.bytes).toBeLessThan(2 * 1024 * 1024);
    expect(twoHundred.largestPayload).toBeLessThan(256 * 1024);
    // Linear: the bytes each further target adds are the same from 50 to 100 as from 100 to 200 (quadratic doubles).
    const perTarget = (from: HistorySize, to: HistorySize) => (to.bytes - from.bytes) / (to.targets - from.targets);
    const ratio = perTarget(hundred, twoHundred) / perTarget(fifty, hundred);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  }, 300_000);
});
