/**
 * The production server: Temporal on PostgreSQL with SQL visibility, every
 * connection over mutual TLS. The example is released end to end, the server is
 * restarted under a running release, releases are found by Relforge's search
 * attributes, and clients without a valid certificate are turned away.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Connection, WorkflowFailedError, type TLSConfig } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { serverBinary } from '@relforge/local-servers';
import { releaseWorkflowId, statusQuery, type ReleaseStatus } from '@relforge/release';
import { taskQueue } from '@relforge/temporal-names';
import {
  createExampleProject,
  killHard,
  releaseEffects,
  releasedOnce,
  stopGracefully,
  until,
  workerProcess,
} from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { describe, expect, it } from 'vitest';
import { tlsConfig } from '@relforge/temporal-connection';
import { certsScript, configDir, namespaceMain } from '@relforge/production-temporal';
import { productionSuite } from './production-server.js';

const suite = productionSuite();
const require = createRequire(import.meta.url);
const relforgeMain = join(
  dirname(require.resolve('@relforge/cli/package.json')),
  (require('@relforge/cli/package.json') as { bin: { relforge: string } }).bin.relforge,
);

async function listed(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of suite().client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids.sort();
}

describe('the production Temporal server', () => {
  it('releases the example end to end with every effect made once', async () => {
    const example = await createExampleProject();
    const version = '4.0.0';
    const worker = await suite().worker(example);
    const status = (await worker.runUntil(
      suite().client.workflow.execute('release', {
        taskQueue,
        workflowId: releaseWorkflowId(example.project, version),
        args: [{ project: example.project, version }],
      }),
    )) as ReleaseStatus;
    expect(status.state).toBe('succeeded');
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);
    const query = `RelforgeProject = "${example.project}" AND RelforgeState = "succeeded" AND RelforgeStage = "website"`;
    await until('the release to be listed as succeeded', async () => ((await listed(query)).length ? true : undefined));
    expect(await listed(query)).toEqual([releaseWorkflowId(example.project, version)]);

    // The relforge CLI, as an operator runs it: the RELFORGE_TEMPORAL_* variables with the CLI's certificate.
    const cli = execFileSync(process.execPath, [relforgeMain, 'status', example.project, version, '--json'], {
      env: { PATH: process.env['PATH'], HOME: example.workRoot, ...suite().server.env('cli') },
      encoding: 'utf8',
    });
    expect((JSON.parse(cli) as ReleaseStatus).state).toBe('succeeded');
  });

  it('finishes a release once when the server restarts under it, on the same databases', async () => {
    // A build of a few seconds: long enough to restart the server while it runs.
    const example = await createExampleProject({ buildCommand: 'sleep 4 && make dist' });
    const version = '4.1.0';
    const worker = await suite().worker(example);
    const handle = await suite().client.workflow.start('release', {
      taskQueue,
      workflowId: releaseWorkflowId(example.project, version),
      args: [{ project: example.project, version }],
    });
    const status = (await worker.runUntil(async () => {
      await until('the release to build', async () =>
        (await handle.query(statusQuery)).currentStage === 'build' ? true : undefined,
      );
      await suite().server.restart();
      return handle.result();
    })) as ReleaseStatus;
    expect(status.state).toBe('succeeded');
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);
    // One run, whose history lived through the restart: the release was not started over.
    expect(await listed(`WorkflowId = "${handle.workflowId}"`)).toEqual([handle.workflowId]);
  });

  it('lists releases by their Relforge search attributes through SQL visibility, to the SDK and the stock CLI', async () => {
    const example = await createExampleProject();
    const worker = await suite().worker(example);
    // Releases of projects this worker does not release fail in prepare, after setting project, version and state.
    const [a, b] = [`${example.project}-a`, `${example.project}-b`];
    const releases = [
      [a, '3.0.0'],
      [a, '3.1.0'],
      [b, '3.0.0'],
    ] as const;
    await worker.runUntil(async () => {
      for (const [project, version] of releases) {
        const handle = await suite().client.workflow.start('release', {
          taskQueue,
          workflowId: releaseWorkflowId(project, version),
          args: [{ project, version }],
        });
        await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      }
    });
    const id = (project: string, version: string) => releaseWorkflowId(project, version);
    const [byProject, projectIds] = [`RelforgeProject = "${a}"`, [id(a, '3.0.0'), id(a, '3.1.0')]];
    const expectations: [string, string[]][] = [
      [byProject, projectIds],
      [`RelforgeProject = "${a}" AND RelforgeVersion = "3.1.0"`, [id(a, '3.1.0')]],
      [`RelforgeState = "failed" AND RelforgeProject IN ("${a}", "${b}")`, releases.map(([p, v]) => id(p, v)).sort()],
    ];
    for (const [query, ids] of expectations) {
      // Visibility is written after the run closes: wait for the rows, then require exactly these.
      await until(`releases listed by ${query}`, async () =>
        (await listed(query)).length >= ids.length ? true : undefined,
      );
      expect(await listed(query)).toEqual(ids);
    }
    expect(stockCliList(byProject)).toEqual(projectIds);
  });
});

describe('the namespace command of infra/production/README.md', () => {
  it('finds the namespace and search attributes the launcher registered, and changes nothing', async () => {
    const { server, client } = suite();
    const output = execFileSync(process.execPath, [namespaceMain], {
      env: { PATH: process.env['PATH'], ...server.env('cli') },
      encoding: 'utf8',
    });
    expect(output.trim()).toBe(
      `relforge-temporal-namespace: namespace relforge on ${server.address} has RelforgeProject, RelforgeVersion, RelforgeStage, RelforgeState (Keyword)`,
    );
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
      namespace: server.namespace,
    });
    const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    expect(
      Object.entries(customAttributes ?? {})
        .filter(([name]) => name.startsWith('Relforge'))
        .sort(),
    ).toEqual(['RelforgeProject', 'RelforgeStage', 'RelforgeState', 'RelforgeVersion'].map((name) => [name, keyword]));
  });
});

describe('two worker processes on the production server', () => {
  it('finish a release once when the one publishing is SIGKILLed mid-request', async () => {
    const example = await createExampleProject();
    const version = '4.2.0';
    const { server, client } = suite();
    // The forge holds the release's creation, then carries it out after its caller died: the reply never came.
    await example.admin.addFault({
      match: { method: 'POST', path: `^/repos/${example.repos.source}/releases$` },
      holdMs: 3_000,
    });
    const options = { main: workerMain, temporal: server, env: server.env('worker') };
    const workers = [workerProcess(example, options), workerProcess(example, options)];
    try {
      const handle = await client.workflow.start('release', {
        taskQueue,
        workflowId: releaseWorkflowId(example.project, version),
        args: [{ project: example.project, version }],
      });
      await until('the forge to hold the release creation', async () =>
        (await example.admin.state()).held.now > 0 ? true : undefined,
      );
      // The worker running the held step, by the identity the SDK gives it: `<pid>@<host>`.
      const identity = (await handle.describe()).raw.pendingActivities?.find(
        (activity) => activity.lastWorkerIdentity,
      )?.lastWorkerIdentity;
      const publisher = workers.find((worker) => identity?.startsWith(`${worker.pid}@`));
      const survivor = workers.find((worker) => worker !== publisher);
      if (!publisher || !survivor) throw new Error(`no worker process has the identity ${identity}`);
      expect((await handle.query(statusQuery)).currentStage).toBe('publish');
      await killHard(publisher);

      const status = (await handle.result()) as ReleaseStatus;
      expect(status.state).toBe('succeeded');
      expect(await releaseEffects(example, version)).toEqual(releasedOnce);
      // The step the dead worker held was retried after its heartbeat timeout, by the other process.
      const retried = ((await handle.fetchHistory()).events ?? [])
        .map((event) => event.activityTaskStartedEventAttributes)
        .filter((started) => (started?.attempt ?? 1) > 1);
      expect(retried.length).toBeGreaterThan(0);
      expect(retried.every((started) => started?.identity?.startsWith(`${survivor.pid}@`))).toBe(true);
      expect(retried.every((started) => /heartbeat/i.test(started?.lastFailure?.message ?? ''))).toBe(true);
    } finally {
      await Promise.all(workers.map(stopGracefully));
    }
  }, 240_000);
});

describe('mutual TLS on the frontend', () => {
  /** Each client both ways a Relforge process connects: the CLI's client (grpc-js) and the worker's (Rust core). */
  async function connects(tls: TLSConfig | undefined, connectTimeout = 1_000): Promise<boolean[]> {
    const { address } = suite().server;
    // A refusal comes at the handshake, in milliseconds on loopback; the admitted client gets longer.
    const options = { address, ...(tls ? { tls } : {}), connectTimeout };
    return Promise.all([
      Connection.connect(options).then(
        async (connection) => {
          await connection.workflowService.getSystemInfo({});
          await connection.close();
          return true;
        },
        () => false,
      ),
      NativeConnection.connect(options).then(
        async (connection) => {
          await connection.close();
          return true;
        },
        () => false,
      ),
    ]);
  }

  it("admits a client certificate of its CA and refuses none, another CA's, an expired one, and plain text", async () => {
    const { server } = suite();
    const other = mkdtempSync(join(tmpdir(), 'relforge-other-ca-'));
    try {
      execFileSync('bash', [certsScript, other]);
      execFileSync('bash', [certsScript, server.certsDir, 'expired-client', 'expired']);
      const ca = readFileSync(server.cliTls.caFile);
      const pair = (dir: string, name: string) => ({
        crt: readFileSync(join(dir, `${name}.pem`)),
        key: readFileSync(join(dir, `${name}.key`)),
      });
      const serverNameOverride = server.cliTls.serverName ?? 'localhost';

      expect(await connects(tlsConfig(server.settings('cli')), 10_000)).toEqual([true, true]);
      expect(await connects({ serverRootCACertificate: ca, serverNameOverride })).toEqual([false, false]);
      expect(
        await connects({ serverRootCACertificate: ca, serverNameOverride, clientCertPair: pair(other, 'cli') }),
      ).toEqual([false, false]);
      expect(
        await connects({
          serverRootCACertificate: ca,
          serverNameOverride,
          clientCertPair: pair(server.certsDir, 'expired'),
        }),
      ).toEqual([false, false]);
      expect(await connects(undefined)).toEqual([false, false]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('the database password', () => {
  it("stays out of the server's log and of every process's arguments", () => {
    const { server, databasePassword } = suite();
    expect(readFileSync(server.logFile, 'utf8')).not.toContain(databasePassword);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(databasePassword);
    // The control: the running server was given it, through its environment.
    const pid = execFileSync('pgrep', ['-f', `temporal-server .*--config ${configDir}`], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(pid.some((id) => readFileSync(`/proc/${id}/environ`, 'utf8').includes(databasePassword))).toBe(true);
  });
});

/** `temporal workflow list` as an operator runs it, with the CLI's certificate. */
function stockCliList(query: string): string[] {
  const { server } = suite();
  const output = execFileSync(
    serverBinary('temporal'),
    [
      'workflow',
      'list',
      '--address',
      server.address,
      '--namespace',
      server.namespace,
      '--tls-ca-path',
      server.cliTls.caFile,
      '--tls-cert-path',
      server.cliTls.certFile,
      '--tls-key-path',
      server.cliTls.keyFile,
      '--tls-server-name',
      server.cliTls.serverName ?? '',
      '--query',
      query,
      '--output',
      'json',
    ],
    { encoding: 'utf8' },
  );
  return (JSON.parse(output) as { execution: { workflowId: string } }[]).map((run) => run.execution.workflowId).sort();
}
