#!/usr/bin/env node
/**
 * `relforge-temporal-preflight`: the checks before the production server starts,
 * on the TEMPORAL_* variables of its environment file. The server's systemd unit
 * runs it as ExecStartPre, so a bad certificate, database or port stops the start
 * with its cause instead of a crash loop.
 */
import { preflight } from './preflight.js';
import { exitWith } from './report.js';

const command = 'relforge-temporal-preflight';
try {
  const config = await preflight(process.env);
  const frontend = config.services['frontend']?.rpc;
  console.log(`${command}: ready to start; frontend on ${frontend?.bindOnIP}:${frontend?.grpcPort}`);
} catch (error) {
  exitWith(command, error);
}
