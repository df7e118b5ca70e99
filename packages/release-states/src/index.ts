/**
 * The release as a state machine — BK-CI's `queued → preparing → running → succeeded | failed | cancelled`, with
 * Relforge's `waiting` for an operator — and the machines of its parts: each stage, each matrix build, each artifact;
 * and a prerelease train's, with each of its steps.
 * States and transitions are data, so the workflow refuses any change not listed here, the table in docs/events.md is checked
 * against it, and a receiver of the events can check what it is told. No I/O: workflow code imports it.
 */

/** What moves through a machine; also the `<entity>` in the type of its events, `dev.relforge.<entity>.<state>.v1`. */
export type Entity = 'release' | 'stage' | 'build' | 'artifact' | 'approval' | 'train' | 'train-step';

/** One machine: the states its entity is created in, and for every state the states it may go to next. */
export interface StateMachine<S extends string> {
  readonly entity: Entity;
  readonly initial: readonly S[];
  /** A state that goes nowhere is final. */
  readonly next: { readonly [state in S]: readonly S[] };
}

function machine<const S extends string>(
  entity: Entity,
  initial: readonly NoInfer<S>[],
  next: { readonly [state in S]: readonly NoInfer<S>[] },
): StateMachine<S> {
  return { entity, initial, next };
}

/**
 * A release: `queued` until a worker takes its run (seen from outside: no workflow task has completed yet), then
 * `preparing` (config, commit, plan), `running` its stages, `waiting` for an operator when a step failed for good,
 * `awaiting-approval` while its approval stage waits for approvers (a timeout parks it `waiting` or fails it).
 * An operator's abort ends it `cancelled`; anything else that stops it is `failed`.
 */
export const releaseMachine = machine('release', ['queued'], {
  queued: ['preparing'],
  preparing: ['running', 'failed'],
  running: ['waiting', 'awaiting-approval', 'succeeded', 'failed'],
  waiting: ['running', 'failed', 'cancelled'],
  'awaiting-approval': ['running', 'waiting', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
});

/** A stage, created `pending` with the plan: a resume runs a waiting stage again; an abort leaves it `failed`. */
export const stageMachine = machine('stage', ['pending'], {
  pending: ['running'],
  running: ['succeeded', 'failed', 'waiting', 'awaiting-approval'],
  waiting: ['running', 'failed'],
  'awaiting-approval': ['succeeded', 'waiting', 'failed'],
  succeeded: [],
  failed: [],
});

/**
 * One matrix target's build on its platform's queue: `waiting-for-builder` once no worker of that platform took it in
 * time (it stays so while it is queued again), `built` when its artifact exists.
 */
export const buildMachine = machine('build', ['queued'], {
  queued: ['waiting-for-builder', 'built'],
  'waiting-for-builder': ['built'],
  built: [],
});

/** A file of the release: created when the checksum stage has its digests, then uploaded to S3, then published. */
export const artifactMachine = machine('artifact', ['digested'], {
  digested: ['uploaded'],
  uploaded: ['published'],
  published: [],
});

/**
 * The approval stage's record: each approval `given` (its subject the approver's login), `stale` once the digest set it
 * named is no longer the release's; and each reminder `reminded` while the release still awaits approvals.
 */
export const approvalMachine = machine('approval', ['given', 'reminded'], {
  given: ['stale'],
  stale: [],
  reminded: [],
});

/**
 * A prerelease train (`train/<project>/<version>`): `open` once it has read its config and between steps, `running`
 * while one of its releases runs, `finished` once its final is released. Each run of the train (it continues as new
 * between steps) starts `open` again.
 */
export const trainMachine = machine('train', ['open'], {
  open: ['running'],
  running: ['open', 'finished'],
  finished: [],
});

/**
 * One step of a train (its subject the step's version, `2.0.0-beta.1`): `running` from the moment the train starts
 * its release, then the release's outcome: `released`, `failed`, or `taken` (a release of that version existed
 * outside the train). A failed step's version is released again by the next step, so its subject runs once more.
 */
export const trainStepMachine = machine('train-step', ['running'], {
  running: ['released', 'failed', 'taken'],
  released: [],
  failed: ['running'],
  taken: [],
});

export type StateOf<M> = M extends StateMachine<infer S> ? S : never;
export type ReleaseState = StateOf<typeof releaseMachine>;
export type StageState = StateOf<typeof stageMachine>;
export type BuildState = StateOf<typeof buildMachine>;
export type ArtifactState = StateOf<typeof artifactMachine>;
export type ApprovalState = StateOf<typeof approvalMachine>;
export type TrainMachineState = StateOf<typeof trainMachine>;
export type TrainStepState = StateOf<typeof trainStepMachine>;

/** Every machine, for code that goes through all of them (the docs' table test, a receiver checking events). */
export const machines: readonly StateMachine<string>[] = [
  releaseMachine,
  stageMachine,
  buildMachine,
  artifactMachine,
  approvalMachine,
  trainMachine,
  trainStepMachine,
];

/**
 * A change of state the machine does not list. A plain `Error` on purpose: thrown in workflow code it fails the
 * workflow task, which Temporal retries and the Web UI shows, instead of failing the release as if a step had.
 */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
}

export function isFinal<S extends string>(machine: StateMachine<S>, state: S): boolean {
  return machine.next[state].length === 0;
}

/** Every transition a machine allows, as `[from, to]` pairs in the order they are listed. */
export function transitionsOf<S extends string>(machine: StateMachine<S>): [S, S][] {
  return (Object.keys(machine.next) as S[]).flatMap((from) => machine.next[from].map((to): [S, S] => [from, to]));
}

/**
 * The state `to`, if the machine allows going there from `from` (`from` undefined: the entity is being created);
 * otherwise an IllegalTransitionError naming what moved, both states and what was allowed.
 */
export function transition<S extends string>(machine: StateMachine<S>, what: string, from: S | undefined, to: S): S {
  const allowed = from === undefined ? machine.initial : machine.next[from];
  if (allowed?.includes(to)) return to;
  const options = allowed?.length ? `it may go to ${allowed.join(', ')}` : `${from} is final`;
  throw new IllegalTransitionError(
    from === undefined
      ? `${what} cannot start ${to}: a ${machine.entity} starts ${machine.initial.join(' or ')}`
      : `${what} cannot go from ${from} to ${to}: ${options} (the ${machine.entity} state machine in @relforge/release-states)`,
  );
}
