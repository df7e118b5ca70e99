/**
 * The train workflow's contract: one long-running workflow per project and target version that releases its
 * prereleases (2.0.0-beta.1, beta.2, rc.1, …) and then the final, each as a normal release. Shared by the workflow,
 * its activity and every client; free of Node imports, like `shared.ts`.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { TrainMachineState, TrainStepState } from '@relforge/release-states';
import type { StartedBy } from './approval.js';

/** The `type` of every failure the train refuses with on purpose, named once. */
export const TrainFailureType = {
  /** An update whose input names no channel, an unknown one, or one the train has passed. */
  InvalidChannel: 'InvalidChannel',
  /** A step asked for while a prerelease of the train is still running. */
  StepRunning: 'StepRunning',
  /** The final asked for before what the config makes it wait for (an rc, the soak time). */
  FinalNotReady: 'FinalNotReady',
  /** The train released its final already. */
  TrainFinished: 'TrainFinished',
  /** The train's input or the project's config is wrong. */
  InputError: 'InputError',
} as const;
export type TrainFailureType = (typeof TrainFailureType)[keyof typeof TrainFailureType];

/** What starts a train, from `relforge train start` or the stock `temporal` CLI as plain JSON. */
export interface TrainInput {
  project: string;
  /** The final version, without a prerelease: "2.0.0". */
  version: string;
  /** The channel the train starts on; the config's first unless given. */
  channel?: string;
  /** Set by the train itself when it continues as new: everything it did so far. */
  carried?: TrainStatus;
}

/** The config's `train` section as the train works from it, fixed when the train starts. */
export interface TrainPlan {
  channels: string[];
  requireRc: boolean;
  /** Milliseconds the last prerelease must have been out before the final; 0 for none. */
  soakMs: number;
  /** The soak as the config writes it, for people. */
  soak?: string;
  stepsPerRun: number;
}

/** released: the release succeeded; failed: it ended without finishing (the same version may be tried again);
 * taken: a release of that version existed already outside the train, which leaves it alone and moves on. */
export type TrainStepOutcome = TrainStepState;

export interface TrainStep {
  /** "2.0.0-beta.1", or "2.0.0" for the final. */
  version: string;
  channel: string;
  /** The release's workflow id, `release/<project>/<version>`. */
  workflowId: string;
  startedAt: string;
  finishedAt?: string;
  outcome: TrainStepOutcome;
  error?: string;
  /** Who asked for the step: the release's `startedBy`, so its approval gate refuses that person's own approval. */
  startedBy?: StartedBy;
}

/** The train's machine in @relforge/release-states; its events are `dev.relforge.train.<state>.v1`. */
export type TrainState = TrainMachineState;

export interface TrainStatus {
  project: string;
  version: string;
  state: TrainState;
  /** The channel `next` releases on; "final" once the final was asked for. */
  channel: string;
  plan: TrainPlan;
  /** Every step, oldest first: each prerelease (and the final) with its dates and outcome. */
  steps: TrainStep[];
  /**
   * What the final waits for besides the soak time, in words: a running prerelease, an rc the config requires. With
   * no soak left, empty means `promote final` starts it now.
   */
  finalWaitsFor: string[];
  /** When the soak time since the last prerelease ends (train.soak); the final is refused before it. */
  soakUntil?: string;
  /** The runs of the train so far: 1, then one more for each continue-as-new. */
  runs: number;
}

/** One train per project and final version; a second start attaches to it. */
export function trainWorkflowId(project: string, version: string): string {
  return `train/${project}/${version}`;
}

/** The final's pseudo-channel: always last, whatever the config lists. */
export const finalChannel = 'final';

/** What `next` carries: who asks. Updates sent before it existed carry nothing, which the train reads as `{}`. */
export interface NextInput {
  startedBy?: StartedBy;
}

/** `next`: the next prerelease of the current channel. */
export const nextUpdate = defineUpdate<TrainStep, [NextInput]>('next');

export interface PromoteInput extends NextInput {
  /** A later channel of the config, or "final". */
  channel: string;
}

/** `promote`: to a later channel (its first prerelease), or to the final release. */
export const promoteUpdate = defineUpdate<TrainStep, [PromoteInput]>('promote');

export const trainStatusQuery = defineQuery<TrainStatus>('trainStatus');
