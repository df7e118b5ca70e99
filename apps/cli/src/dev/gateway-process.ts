/** The local stack's gateway: a background process for the stack's projects, its output in a log file. */
import { join } from 'node:path';
import { gatewayMain } from '@relforge/gateway';
import { startServer, stateDir } from '@relforge/local-servers';
import { gatewayEnvironment, gatewayIsRunning, recordGateway, type StackState } from '@relforge/stack';

/** Starts the stack's gateway unless it runs; up once it is ready, that is once it reaches Temporal. */
export async function ensureStackGateway(state: StackState, port: number, configs: string[]): Promise<StackState> {
  if (gatewayIsRunning(state)) return state;
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(stateDir(), 'logs', 'gateway.log');
  const gateway = await startServer({
    name: 'gateway',
    command: process.execPath,
    args: [gatewayMain],
    env: gatewayEnvironment(state, port, configs),
    logFile,
    detached: true,
    ready: async () => (await fetch(`${url}/readyz`)).ok,
    readyTimeoutMs: 30_000,
    fix: `read ${logFile}; another port: --gateway-port or RELFORGE_GATEWAY_PORT`,
  });
  return recordGateway(state, { url, port, pid: gateway.pid, logFile, configs });
}
