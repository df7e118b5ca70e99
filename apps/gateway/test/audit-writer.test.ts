/**
 * The audit writer's bound, in the fast tier: the stream stands in as the list of what was appended, and the window is
 * shortened to milliseconds. refusals.test.ts shows the same on the gateway's process and a real NATS.
 */
import type { AuditEntry } from '@relforge/audit';
import { describe, expect, it } from 'vitest';
import { AuditWriter } from '../src/audit-writer.js';

function writer(bound = { perWindow: 2, windowMs: 200 }) {
  const appended: AuditEntry[] = [];
  const errors: string[] = [];
  const trail = new AuditWriter(
    {
      append: async (entry) => {
        appended.push(entry);
        return { ...entry, id: String(appended.length), at: entry.at ?? new Date().toISOString() };
      },
    },
    (message) => errors.push(message),
    bound,
  );
  return { trail, appended, errors };
}

const anonymous = (status: number, kind: AuditEntry['via']['kind'] = 'dispatch'): AuditEntry => ({
  actor: { auth: 'none' },
  via: { kind },
  operation: 'release',
  inputs: {},
  decision: 'refused',
  reason: 'no token',
  status,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the audit writer', () => {
  it('records a known caller in full, with the project, however many', async () => {
    const { trail, appended } = writer();
    const known: AuditEntry = {
      actor: { auth: 'github-token', login: 'dave' },
      via: { kind: 'dispatch' },
      operation: 'release',
      project: 'hello',
      inputs: { version: '1.5.0' },
      decision: 'refused',
      status: 403,
    };
    for (let index = 0; index < 5; index++) await trail.append(known);
    expect(appended).toEqual(Array.from({ length: 5 }, () => known));
  });

  it('files an unknown caller under no project, the project it named kept as an input, its text clipped', async () => {
    const { trail, appended } = writer();
    await trail.append({
      actor: { auth: 'none', login: 'claimed' },
      via: { kind: 'webhook', delivery: 'd'.repeat(1_000), event: 'push' },
      operation: 'approve',
      project: 'p'.repeat(1_000),
      inputs: { version: '1.5.0' },
      decision: 'refused',
      reason: 'r'.repeat(1_000),
      status: 404,
    });
    expect(appended).toEqual([
      {
        actor: { auth: 'none' },
        via: { kind: 'webhook', delivery: `${'d'.repeat(200)}…`, event: 'push' },
        operation: 'approve',
        inputs: { project: `${'p'.repeat(200)}…`, version: '1.5.0' },
        decision: 'refused',
        reason: `${'r'.repeat(200)}…`,
        status: 404,
      },
    ]);
  });

  it('records the first of a window one by one and the rest in one summary at its end, with no request after', async () => {
    const { trail, appended, errors } = writer();
    await Promise.all([401, 401, 401, 404, 401].map((status) => trail.append(anonymous(status))));
    expect(appended).toHaveLength(2);
    await sleep(300);
    expect(appended).toHaveLength(3);
    expect(appended[2]).toMatchObject({
      actor: { auth: 'none' },
      via: { kind: 'dispatch' },
      operation: 'unauthenticated refusals',
      inputs: { 'status 401': 2, 'status 404': 1 },
      decision: 'refused',
      reason: expect.stringMatching(
        /^3 more refusals of unauthenticated dispatch requests from \S+ to \S+, counted here by status: only the first 2 of each 0.2 s are recorded one by one$/,
      ),
    });
    // A new window: recorded one by one again.
    await trail.append(anonymous(401));
    expect(appended).toHaveLength(4);
    expect(appended[3]).toMatchObject({ operation: 'release', status: 401 });
    expect(errors).toEqual([]);
  });

  it('bounds each way in on its own, and writes the open windows’ summaries when flushed', async () => {
    const { trail, appended } = writer({ perWindow: 1, windowMs: 60_000 });
    for (const kind of ['dispatch', 'webhook', 'dispatch', 'webhook', 'webhook'] as const)
      await trail.append(anonymous(401, kind));
    expect(appended.map((entry) => entry.via.kind)).toEqual(['dispatch', 'webhook']);
    await trail.flush();
    expect(appended.slice(2).map((entry) => [entry.via.kind, entry.inputs])).toEqual([
      ['dispatch', { 'status 401': 1 }],
      ['webhook', { 'status 401': 2 }],
    ]);
    await trail.flush();
    expect(appended).toHaveLength(4);
  });
});
