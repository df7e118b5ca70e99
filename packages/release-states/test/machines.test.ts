import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  artifactMachine,
  buildMachine,
  IllegalTransitionError,
  isFinal,
  machines,
  releaseMachine,
  stageMachine,
  transition,
  transitionsOf,
} from '../src/index.js';

/** The rows of docs/events.md's transition table: `| machine | from | to | when |`, `—` as from for a creation. */
function readmeTransitions(): string[] {
  const page = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');
  const section = page.split(/^### The state machine$/m)[1]?.split(/^#{2,3} /m)[0];
  if (!section) throw new Error('docs/events.md has no "### The state machine" section');
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [entity, from, to] = line
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim().replace(/`/g, ''));
      return `${entity} ${from} → ${to}`;
    });
}

const codeTransitions = () =>
  machines.flatMap((machine) => [
    ...machine.initial.map((state) => `${machine.entity} — → ${state}`),
    ...transitionsOf(machine).map(([from, to]) => `${machine.entity} ${from} → ${to}`),
  ]);

describe('the state machines', () => {
  it('are the table in docs/events.md, row for row', () => {
    expect(readmeTransitions()).toEqual(codeTransitions());
  });

  it('take a release from queued through preparing and running to each end', () => {
    let state = transition(releaseMachine, 'release hello 1.2.3', undefined, 'queued');
    for (const next of ['preparing', 'running', 'waiting', 'running', 'succeeded'] as const) {
      state = transition(releaseMachine, 'release hello 1.2.3', state, next);
    }
    expect(state).toBe('succeeded');
    expect(['succeeded', 'failed', 'cancelled'].every((end) => isFinal(releaseMachine, end as 'failed'))).toBe(true);
    expect(isFinal(releaseMachine, 'waiting')).toBe(false);
  });

  it('refuse a finished stage that would run again, naming the stage, both states and the rule', () => {
    const refused = () => transition(stageMachine, 'release hello 1.2.3: stage publish', 'succeeded', 'running');
    expect(refused).toThrow(IllegalTransitionError);
    expect(refused).toThrow(
      'release hello 1.2.3: stage publish cannot go from succeeded to running: succeeded is final (the stage state machine in @relforge/release-states)',
    );
  });

  it('refuse skipping a state, and say where the entity may go instead', () => {
    expect(() => transition(releaseMachine, 'release hello 1.2.3', 'queued', 'running')).toThrow(
      'release hello 1.2.3 cannot go from queued to running: it may go to preparing',
    );
    expect(() => transition(artifactMachine, 'artifact hello.tar.gz', 'digested', 'published')).toThrow(
      'it may go to uploaded',
    );
  });

  it('refuse an entity created in a state it cannot start in', () => {
    expect(() => transition(buildMachine, 'build bookworm/arm64', undefined, 'built')).toThrow(
      'build bookworm/arm64 cannot start built: a build starts queued',
    );
  });

  it('reach every state of every machine from its initial states', () => {
    for (const machine of machines) {
      const reached = new Set<string>(machine.initial);
      for (let grew = true; grew;) {
        grew = false;
        for (const [from, to] of transitionsOf(machine)) {
          if (reached.has(from) && !reached.has(to)) {
            reached.add(to);
            grew = true;
          }
        }
      }
      expect([...reached].sort()).toEqual(Object.keys(machine.next).sort());
    }
  });
});
