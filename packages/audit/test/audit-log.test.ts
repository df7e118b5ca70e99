/**
 * The audit trail on a real nats-server (JetStream, file storage): records appended and read back with each filter,
 * inputs named like secrets dropped before they are stored, and a stream the server refuses to purge or to lose a
 * record from.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startTestNats, type TestNats } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, auditStreamName, type AuditEntry } from '../src/index.js';

let nats: TestNats;
let audit: AuditLog;
const namespace = `audit-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  nats = await startTestNats();
  audit = await AuditLog.connect(nats.url, namespace, 'relforge-audit-test');
});
afterAll(async () => {
  await audit?.close();
  await nats?.teardown();
});

const entry = (login: string, project: string, decision: AuditEntry['decision']): AuditEntry => ({
  actor: { auth: 'github-token', login },
  via: { kind: 'dispatch' },
  operation: 'release',
  project,
  inputs: { version: '1.5.0' },
  decision,
});

describe('the audit trail', () => {
  it('keeps what is appended and reads it back by project, actor and time, oldest first', async () => {
    const before = new Date(Date.now() - 1_000);
    const first = await audit.append(entry('alice', 'hello', 'accepted'));
    await audit.append(entry('bob', 'hello', 'refused'));
    await audit.append(entry('alice', 'other', 'accepted'));
    expect(first).toMatchObject({ actor: { login: 'alice' }, decision: 'accepted' });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);

    expect((await audit.read()).map((record) => [record.actor.login, record.project])).toEqual([
      ['alice', 'hello'],
      ['bob', 'hello'],
      ['alice', 'other'],
    ]);
    expect((await audit.read({ project: 'hello' })).map((record) => record.actor.login)).toEqual(['alice', 'bob']);
    expect((await audit.read({ actor: 'alice' })).map((record) => record.project)).toEqual(['hello', 'other']);
    expect(await audit.read({ since: new Date(Date.now() + 60_000) })).toEqual([]);
    expect(await audit.read({ since: before })).toHaveLength(3);
    expect(await audit.read({ project: 'nobody' })).toEqual([]);
  });

  it('never stores an input named like a secret', async () => {
    const stored = await audit.append({
      ...entry('carol', 'secrets', 'refused'),
      inputs: { version: '1.5.0', token: 'ghp_should-never-be-kept', password: 'hunter2' },
    });
    expect(stored.inputs).toEqual({ version: '1.5.0' });
    const [read] = await audit.read({ project: 'secrets' });
    expect(JSON.stringify(read)).not.toContain('ghp_should-never-be-kept');
    expect(JSON.stringify(read)).not.toContain('hunter2');
  });

  it('is a stream the server refuses to purge or to delete a record from, on file storage with no limits', async () => {
    const connection = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(connection);
      const stream = auditStreamName(namespace);
      const { config, state } = await jsm.streams.info(stream);
      expect(config).toMatchObject({
        storage: 'file',
        deny_delete: true,
        deny_purge: true,
        max_age: 0,
        max_msgs: -1,
        max_bytes: -1,
      });
      await expect(jsm.streams.purge(stream)).rejects.toThrow();
      await expect(jsm.streams.deleteMessage(stream, state.first_seq)).rejects.toThrow();
      expect((await jsm.streams.info(stream)).state.messages).toBe(state.messages);
    } finally {
      await connection.close();
    }
  });
});
