/**
 * The smoke workflow proves a worker, the server and a task queue are wired
 * together: its one activity runs in Node on the worker (hashing the message),
 * which workflow code could not do itself.
 */
import { defineSignal } from '@temporalio/workflow';

export interface SmokeInput {
  message: string;
  /** Wait for the `proceed` signal before calling the activity (lets a test stop the server mid-run). */
  waitForProceed?: boolean;
}

export interface SmokeResult {
  message: string;
  sha256: string;
  /** Process id of the worker that ran the activity. */
  workerPid: number;
}

export const proceedSignal = defineSignal('proceed');

/** Its own queue: a check of the server and the SDK, never on the queue production workers serve. */
export const smokeTaskQueue = 'relforge-smoke';
