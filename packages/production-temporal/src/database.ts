/**
 * The PostgreSQL server under Temporal, reached with `psql`: is it there, does a
 * database hold the Temporal schema and at which version, and dropping the
 * databases a test made. The password travels in PGPASSWORD, never in argv.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InputError, StackError } from '@relforge/errors';

const run = promisify(execFile);

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password?: string;
}

/** `postgres://user[:password]@host[:port]`; a database path, if any, is ignored: Temporal uses two of its own. */
export function parseDatabaseUrl(url: string): PostgresServer {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`the database URL "${redactPassword(url)}" is not a URL`, {
      fix: 'write it as postgres://USER@HOST:PORT, e.g. postgres://postgres@127.0.0.1:5432',
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new InputError(`the database URL "${redactPassword(url)}" is not a postgres:// URL`, {
      fix: 'Temporal runs on PostgreSQL here: write it as postgres://USER@HOST:PORT',
    });
  }
  if (!parsed.username || !parsed.hostname) {
    throw new InputError(`the database URL "${redactPassword(url)}" names no user or no host`, {
      fix: 'write it as postgres://USER@HOST:PORT, e.g. postgres://postgres@127.0.0.1:5432',
    });
  }
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/** The URL with its password, if any, as `***`: for messages. */
export function redactPassword(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}

export function describeServer(server: PostgresServer): string {
  return `${server.user}@${server.host}:${server.port}`;
}

class PsqlError extends Error {}

async function psql(server: PostgresServer, database: string, sql: string): Promise<string> {
  try {
    const { stdout } = await run(
      'psql',
      [
        '-X',
        '-q',
        '-t',
        '-A',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        server.host,
        '-p',
        String(server.port),
        '-U',
        server.user,
        '-d',
        database,
        '-c',
        sql,
      ],
      {
        env: { ...process.env, PGPASSWORD: server.password ?? '', PGCONNECT_TIMEOUT: '5' },
        timeout: 30_000,
      },
    );
    return stdout.trim();
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new StackError('psql is not installed', {
        fix: 'install the PostgreSQL client (Debian: `apt-get install postgresql-client`) and re-run',
      });
    }
    const message = (failure.stderr ?? failure.message).trim().split('\n')[0] ?? '';
    throw new PsqlError(message.replace(/^psql: error: /, '').replace(/^ERROR: {2}/, ''));
  }
}

/** `setting` names what a person changes to point elsewhere, e.g. "TEMPORAL_DB_HOST and TEMPORAL_DB_PORT". */
export async function assertReachable(server: PostgresServer, setting: string): Promise<void> {
  try {
    await psql(server, 'postgres', 'select 1');
  } catch (error) {
    if (!(error instanceof PsqlError)) throw error;
    throw new StackError(`cannot reach PostgreSQL as ${describeServer(server)}: ${error.message}`, {
      fix: `start PostgreSQL there, or correct ${setting}`,
    });
  }
}

/** The Temporal schema version a database holds, undefined when it has none. */
export async function schemaVersion(server: PostgresServer, database: string): Promise<string | undefined> {
  try {
    const version = await psql(
      server,
      database,
      `select curr_version from schema_version where version_partition = 0 and db_name = '${database.replaceAll("'", "''")}'`,
    );
    return version || undefined;
  } catch (error) {
    if (error instanceof PsqlError && /relation "schema_version" does not exist/.test(error.message)) return undefined;
    if (error instanceof PsqlError && /database ".*" does not exist/.test(error.message)) {
      throw new StackError(`database ${database} does not exist on ${describeServer(server)}`, {
        fix: 'create it and its schema with `bash infra/production/schema.sh setup`',
      });
    }
    if (error instanceof PsqlError) {
      throw new StackError(`cannot read the schema of ${database} as ${describeServer(server)}: ${error.message}`, {
        fix: 'check that PostgreSQL runs there and that TEMPORAL_DB_USER may connect to the database',
      });
    }
    throw error;
  }
}

/** Drops a database even while the server that used it still holds connections (PostgreSQL 13+). */
export async function dropDatabase(server: PostgresServer, database: string): Promise<void> {
  await psql(server, 'postgres', `drop database if exists "${database.replaceAll('"', '""')}" with (force)`);
}
