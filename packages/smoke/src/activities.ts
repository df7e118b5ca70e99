import { createHash } from 'node:crypto';
import type { SmokeResult } from './shared.js';

export async function digestMessage(message: string): Promise<SmokeResult> {
  return { message, sha256: createHash('sha256').update(message).digest('hex'), workerPid: process.pid };
}
