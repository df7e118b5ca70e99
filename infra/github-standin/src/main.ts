#!/usr/bin/env node
/**
 * `relforge-github-standin`: the GitHub stand-in as a process of its own.
 * Tokens come from the environment only (RELFORGE_STANDIN_TOKENS, and
 * RELFORGE_STANDIN_APP for a GitHub App), never from argv, so `ps` and logs
 * never show them.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { issueLines } from '@relforge/errors';
import { appSettings, type AppSettings } from './auth.js';
import { startStandInServer } from './server.js';

function fail(message: string): never {
  console.error(`relforge-github-standin: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
  },
  strict: true,
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`--port must be a port number or 0, not ${values.port}`);
if (!values.data) fail('--data <dir> is required: the folder that keeps repositories, releases and assets');
const tokens = (process.env['RELFORGE_STANDIN_TOKENS'] ?? '')
  .split(',')
  .map((token) => token.trim())
  .filter(Boolean);
if (tokens.length === 0) fail('RELFORGE_STANDIN_TOKENS is empty: give at least one token, comma-separated');

function appFromEnv(text: string | undefined): AppSettings | undefined {
  if (!text) return undefined;
  const expected = 'expected {"appId":…,"installationId":… or […],"publicKeyPem":"-----BEGIN PUBLIC KEY-----…"}';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(`RELFORGE_STANDIN_APP is not JSON; ${expected}`);
  }
  const parsed = appSettings.safeParse(json);
  if (!parsed.success) fail(`RELFORGE_STANDIN_APP: ${issueLines(parsed.error.issues).join('; ')}; ${expected}`);
  return parsed.data;
}
const app = appFromEnv(process.env['RELFORGE_STANDIN_APP']);
// Nothing this process starts (git http-backend) needs the secrets.
delete process.env['RELFORGE_STANDIN_TOKENS'];
delete process.env['RELFORGE_STANDIN_APP'];

const started = performance.now();
const server = await startStandInServer({
  dataDir: resolve(values.data),
  tokens,
  ...(app === undefined ? {} : { app }),
  host: values.host,
  port,
  log: (line) => console.log(`${new Date().toISOString()} ${line}`),
}).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
console.log(`started in ${Math.round(performance.now() - started)} ms`);
console.log(`github stand-in listening on ${server.url}`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void server.close().then(() => process.exit(0));
  });
}
