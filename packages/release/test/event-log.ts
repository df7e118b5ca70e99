/**
 * A release's (or a train's) events read back from JetStream, and what every such log must satisfy, whatever
 * happened to it.
 */
import { expect } from 'vitest';
import { parseEventType, replay, type ReleaseCloudEvent } from '@relforge/release-events';
import type { JetStreamEventLog } from '@relforge/release-events/jetstream';
import {
  approvalMachine,
  artifactMachine,
  buildMachine,
  releaseMachine,
  stageMachine,
  trainMachine,
  trainStepMachine,
  transition,
  type StateMachine,
} from '@relforge/release-states';
import type { ReleaseStatus, TrainStatus } from '@relforge/release';

export async function eventsOf(
  log: JetStreamEventLog,
  namespace: string,
  release: { project: string; version: string; kind?: 'release' | 'train' },
): Promise<ReleaseCloudEvent[]> {
  const events: ReleaseCloudEvent[] = [];
  for await (const event of log.read({ namespace, ...release })) events.push(event);
  return events;
}

const machineOf: Record<string, StateMachine<string>> = {
  release: releaseMachine,
  stage: stageMachine,
  build: buildMachine,
  artifact: artifactMachine,
  approval: approvalMachine,
  train: trainMachine,
  'train-step': trainStepMachine,
};

/** The first event of every run: the whole document. */
const startsRun = (event: ReleaseCloudEvent) =>
  event.data.patch.length === 1 && event.data.patch[0]?.op === 'replace' && event.data.patch[0].path === '';

/** `release queued`, `stage publish running`, …: an event as a line, for comparing lists of them. */
export const described = (event: ReleaseCloudEvent) => {
  const named = parseEventType(event.type);
  return [named?.entity, event.subject, named?.state].filter(Boolean).join(' ');
};

/**
 * Numbered 1..N with nothing missing or repeated, each patch applying to the event before it, every entity moving
 * only as its state machine allows (each run starting over with the whole document, at `release queued` or at
 * `train open`), and the patches, applied in order, giving exactly the final status. Returns each run's events.
 */
export function expectWholeLog(events: ReleaseCloudEvent[], final: ReleaseStatus | TrainStatus): ReleaseCloudEvent[][] {
  expect(events.map((event) => event.data.sequence)).toEqual(events.map((_, index) => index + 1));
  expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
  expect(events.every((event) => event.data.appliesTo === event.data.sequence - 1)).toBe(true);
  expect(events.every((event) => event.sequence === String(event.data.sequence).padStart(10, '0'))).toBe(true);

  const runs: ReleaseCloudEvent[][] = [];
  let states = new Map<string, string>();
  for (const event of events) {
    const named = parseEventType(event.type);
    if (!named) throw new Error(`event ${event.data.sequence} has a type that is not Relforge's: ${event.type}`);
    if (named.entity === 'release' && named.state === 'queued') expect(startsRun(event)).toBe(true);
    if (startsRun(event)) {
      expect(['release queued', 'train open']).toContain(described(event));
      states = new Map();
      runs.push([]);
    }
    expect(runs.at(-1)?.[0]?.runid ?? event.runid).toBe(event.runid);
    runs.at(-1)?.push(event);
    const entity = `${named.entity} ${event.subject ?? ''}`.trim();
    // Stages are listed pending with the plan, in the release's `running` event; their own events start at running.
    const from = states.get(entity) ?? (named.entity === 'stage' ? 'pending' : undefined);
    const machine = machineOf[named.entity] as StateMachine<string>;
    expect(() => transition(machine, `event ${event.data.sequence}: ${entity}`, from, named.state)).not.toThrow();
    states.set(entity, named.state);
  }
  expect(runs.length).toBeGreaterThan(0);
  expect(replay(events.map((event) => event.data)).value).toEqual(JSON.parse(JSON.stringify(final)));
  return runs;
}
