/**
 * Bad input on the server side, as the launcher and systemd's pre-start check
 * meet it: each refused with one line naming the cause and one with the fix,
 * and nothing left running, no database and no folder left behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, StackError } from '@relforge/errors';
import { binDir, freePort, serverBinary } from '@relforge/server-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certsScript, schemaScript, startProductionTemporal } from '../src/index.js';

const postgres = { host: '127.0.0.1', port: '5432', user: 'postgres' };
const psql = (sql: string) =>
  execFileSync(
    'psql',
    [
      '-X',
      '-q',
      '-t',
      '-A',
      '-h',
      postgres.host,
      '-p',
      postgres.port,
      '-U',
      postgres.user,
      '-d',
      'postgres',
      '-c',
      sql,
    ],
    {
      encoding: 'utf8',
    },
  ).trim();
/** What a launcher labelled `label` left: its databases and its folder. */
const leftBy = (label: string) => ({
  databases: psql(`select datname from pg_database where datname like '${label}\\_%'`),
  folders: readdirSync(tmpdir()).filter((name) => name.startsWith(`${label}-temporal-`)),
});

async function listening(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server };
}

describe('the launcher', () => {
  it('refuses a database URL that is not a postgres:// URL before it starts anything', async () => {
    await expect(startProductionTemporal({ databaseUrl: 'not a url' })).rejects.toThrow(
      new InputError('the database URL "not a url" is not a URL', {
        fix: 'write it as postgres://USER@HOST:PORT, e.g. postgres://postgres@127.0.0.1:5432',
      }),
    );
    await expect(startProductionTemporal({ databaseUrl: 'mysql://root:hunter2@127.0.0.1:3306' })).rejects.toThrow(
      /^the database URL "mysql:\/\/root:\*\*\*@127\.0\.0\.1:3306" is not a postgres:\/\/ URL$/,
    );
  });

  it('names a PostgreSQL that is not there, and how to point elsewhere', async () => {
    const port = await freePort();
    const refused = await startProductionTemporal({ databaseUrl: `postgres://postgres@127.0.0.1:${port}` }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(StackError);
    expect((refused as StackError).message).toMatch(
      new RegExp(`^cannot reach PostgreSQL as postgres@127\\.0\\.0\\.1:${port}: .*Connection refused`),
    );
    expect((refused as StackError).fix).toBe(
      `start PostgreSQL there, or correct the database URL (postgres://postgres@127.0.0.1:${port})`,
    );
  });

  it('stops at a frontend port already taken, leaving no database or folder behind', async () => {
    const label = `undo_${randomBytes(3).toString('hex')}`;
    const taken = await listening();
    try {
      // The port is found taken after the certificates and both databases were made: all of it is undone.
      await expect(startProductionTemporal({ label, frontendPort: taken.port })).rejects.toThrow(
        new StackError(`port ${taken.port} (Temporal frontend gRPC) is already in use on 127.0.0.1`, {
          fix: `stop whatever listens there (\`ss -ltnp 'sport = :${taken.port}'\` shows it) or choose another port with TEMPORAL_FRONTEND_PORT`,
        }),
      );
    } finally {
      taken.server.close();
    }
    expect(leftBy(label)).toEqual({ databases: '', folders: [] });
  });
});

describe('the pre-start check systemd runs (relforge-temporal-preflight)', () => {
  const preflightMain = fileURLToPath(new URL('../dist/preflight-main.js', import.meta.url));
  const id = randomBytes(4).toString('hex');
  const databases = {
    temporal: `relforge_${id}_pre`,
    visibility: `relforge_${id}_pre_vis`,
    empty: `relforge_${id}_empty`,
    old: `relforge_${id}_old`,
  };
  // Named now, made in beforeAll: the table below names files in it.
  const certs = join(tmpdir(), `relforge-preflight-${id}`);
  let good: NodeJS.ProcessEnv;

  beforeAll(async () => {
    mkdirSync(certs);
    execFileSync('bash', [certsScript, certs]);
    execFileSync('bash', [certsScript, certs, 'expired-client', 'expired']);
    const ports: Record<string, string> = {};
    for (const service of ['FRONTEND', 'HISTORY', 'MATCHING', 'WORKER']) {
      ports[`TEMPORAL_${service}_PORT`] = String(await freePort());
      ports[`TEMPORAL_${service}_MEMBERSHIP_PORT`] = String(await freePort());
    }
    good = {
      PATH: process.env['PATH'],
      TEMPORAL_DB_HOST: postgres.host,
      TEMPORAL_DB_PORT: postgres.port,
      TEMPORAL_DB_USER: postgres.user,
      TEMPORAL_DB_NAME: databases.temporal,
      TEMPORAL_VISIBILITY_DB_NAME: databases.visibility,
      TEMPORAL_TLS_CA: join(certs, 'ca.pem'),
      TEMPORAL_TLS_SERVER_CERT: join(certs, 'server.pem'),
      TEMPORAL_TLS_SERVER_KEY: join(certs, 'server.key'),
      ...ports,
    };
    execFileSync('bash', [schemaScript, 'setup'], { env: good });
    psql(`create database ${databases.empty}`);
  });
  afterAll(() => {
    for (const database of Object.values(databases)) psql(`drop database if exists ${database} with (force)`);
    rmSync(certs, { recursive: true, force: true });
  });

  function preflight(env: NodeJS.ProcessEnv) {
    const run = spawnSync(process.execPath, [preflightMain], { env: { ...good, ...env }, encoding: 'utf8' });
    return { code: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim().split('\n') };
  }

  it('passes an environment that is ready', () => {
    expect(preflight({})).toEqual({
      code: 0,
      stdout: `relforge-temporal-preflight: ready to start; frontend on 127.0.0.1:${good['TEMPORAL_FRONTEND_PORT']}`,
      stderr: [''],
    });
  });

  it.each([
    {
      what: 'a database without its schema',
      env: () => ({ TEMPORAL_DB_NAME: databases.empty }),
      code: 3,
      cause: `database ${databases.empty} on postgres@127.0.0.1:5432 has no Temporal temporal schema`,
      fix: 'create it with `bash infra/production/schema.sh setup` (same TEMPORAL_DB_* variables), then start again',
    },
    {
      what: 'a database address nothing listens on',
      env: () => ({ TEMPORAL_DB_PORT: '1' }),
      code: 3,
      cause: /^cannot reach PostgreSQL as postgres@127\.0\.0\.1:1: .*Connection refused/,
      fix: 'start PostgreSQL there, or correct TEMPORAL_DB_HOST, TEMPORAL_DB_PORT, TEMPORAL_DB_USER and TEMPORAL_DB_PASSWORD',
    },
    {
      what: 'no server certificate set',
      env: () => ({ TEMPORAL_TLS_SERVER_CERT: '' }),
      code: 2,
      cause: 'the server certificate is not set',
      fix: 'set TEMPORAL_TLS_SERVER_CERT to a PEM file (`bash infra/production/certs.sh DIR` makes a set)',
    },
    {
      what: 'a server certificate file that is missing',
      env: () => ({ TEMPORAL_TLS_SERVER_CERT: join(certs, 'gone.pem') }),
      code: 2,
      cause: `the server certificate ${join(certs, 'gone.pem')} does not exist`,
      fix: 'point TEMPORAL_TLS_SERVER_CERT at an existing PEM file, or make a set with `bash infra/production/certs.sh DIR`',
    },
    {
      what: 'an expired server certificate',
      env: () => ({
        TEMPORAL_TLS_SERVER_CERT: join(certs, 'expired.pem'),
        TEMPORAL_TLS_SERVER_KEY: join(certs, 'expired.key'),
      }),
      code: 2,
      cause: `the server certificate ${join(certs, 'expired.pem')} expired on Jan  2 00:00:00 2020 GMT`,
      fix: 'renew it (e.g. `bash infra/production/certs.sh DIR` for a new set), update TEMPORAL_TLS_SERVER_CERT, then restart',
    },
  ])('refuses $what with its cause and fix', ({ env, code, cause, fix }) => {
    const { code: exit, stdout, stderr } = preflight(env());
    expect({ exit, stdout, lines: stderr.length }).toEqual({ exit: code, stdout: '', lines: 2 });
    const [first, second] = stderr;
    if (typeof cause === 'string') expect(first).toBe(`relforge-temporal-preflight: ${cause}`);
    else expect(first?.replace('relforge-temporal-preflight: ', '')).toMatch(cause);
    expect(second).toBe(`  fix: ${fix}`);
  });

  it('refuses a schema older than the server, and passes once schema.sh update brought it up', () => {
    // A database left at the schema of an older server: 1.17, one before v1.29.1's 1.18.
    const tool = serverBinary('temporal-sql-tool');
    const sql = ['--plugin', 'postgres12', '--ep', postgres.host, '-p', postgres.port, '-u', postgres.user];
    const versioned = join(binDir(), 'temporal-schema', 'temporal', 'versioned');
    execFileSync(tool, [...sql, '--db', databases.old, 'create-database']);
    execFileSync(tool, [...sql, '--db', databases.old, 'setup-schema', '-v', '0.0']);
    execFileSync(tool, [...sql, '--db', databases.old, 'update-schema', '-d', versioned, '-v', '1.17']);

    expect(preflight({ TEMPORAL_DB_NAME: databases.old })).toEqual({
      code: 3,
      stdout: '',
      stderr: [
        `relforge-temporal-preflight: database ${databases.old} holds temporal schema 1.17; this server needs 1.18`,
        '  fix: upgrade it with `bash infra/production/schema.sh update`, then start again',
      ],
    });
    execFileSync('bash', [schemaScript, 'update'], { env: { ...good, TEMPORAL_DB_NAME: databases.old } });
    expect(preflight({ TEMPORAL_DB_NAME: databases.old }).code).toBe(0);
  });

  it('refuses a port already taken, naming the variable that moves it', async () => {
    const taken = await listening();
    try {
      const { code, stderr } = preflight({ TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(taken.port) });
      expect(code).toBe(3);
      expect(stderr).toEqual([
        `relforge-temporal-preflight: port ${taken.port} (Temporal history membership) is already in use on 127.0.0.1`,
        `  fix: stop whatever listens there (\`ss -ltnp 'sport = :${taken.port}'\` shows it) or choose another port with TEMPORAL_HISTORY_MEMBERSHIP_PORT`,
      ]);
    } finally {
      taken.server.close();
    }
  });
});
