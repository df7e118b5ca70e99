/**
 * A board's clients, for the gateway's limit tests and its bench: plain HTTP requests and event WebSockets from a
 * chosen local address (127.0.0.x are all this host, and the gateway counts each as a client of its own), and a
 * release's event log written as a worker writes it.
 */
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { patchBetween, wholeDocument, type ReleaseCloudEvent, type ReleaseRef } from '@relforge/release-events';
import type { JetStreamEventLog } from '@relforge/release-events/jetstream';

/** A release with a log of five events (queued to succeeded); returns its ref and the status after each. */
export async function logRelease(
  log: JetStreamEventLog,
  project: string,
  namespace: string,
): Promise<{ ref: ReleaseRef; states: { state: string }[] }> {
  const version = `7.${randomBytes(2).readUInt16BE()}.0`;
  const ref: ReleaseRef = {
    namespace,
    workflowId: `release/${project}/${version}`,
    runId: 'run-limits',
    project,
    version,
  };
  const states = ['queued', 'preparing', 'running', 'publishing', 'succeeded'].map((state) => ({ state }));
  const time = new Date().toISOString();
  await log.claim(ref, { entity: 'release', state: 'queued', time, patch: wholeDocument(states[0]) });
  await log.append(
    ref,
    states.slice(1).map((after, index) => ({
      entity: 'release' as const,
      state: after.state,
      time,
      sequence: index + 2,
      patch: patchBetween(states[index], after),
    })),
  );
  return { ref, states };
}

/** Loopback addresses other than 127.0.0.1: four clients as the gateway counts them. */
export const clientAddresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET (or a POST with a body) from a given local address, as a client there would send it. */
export function send(
  url: string,
  options: { from?: string; method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        ...(options.from ? { localAddress: options.from } : {}),
        headers: options.headers ?? {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

export type Frame = { type: string; cursor?: number; event?: ReleaseCloudEvent; error?: string };

export interface OpenSocket {
  socket: WebSocket;
  frames: Frame[];
  closed: Promise<{ code: number }>;
}

/** Opens /api/events from a given local address: the open socket and its frames, or the HTTP answer refusing it. */
export function openEvents(base: string, query: string, from?: string): Promise<OpenSocket | Answer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/api/events?${query}`, {
      ...(from ? { localAddress: from } : {}),
    });
    const frames: Frame[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
    const closed = new Promise<{ code: number }>((done) => socket.on('close', (code) => done({ code })));
    socket.on('open', () => resolve({ socket, frames, closed }));
    socket.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    socket.on('error', (error) => {
      if (socket.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}

export const isOpen = (opened: OpenSocket | Answer): opened is OpenSocket => 'socket' in opened;

/** Runs `task` for 0..count-1, `parallel` at a time. */
export async function inParallel<T>(
  count: number,
  parallel: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

/** How many of each status code. */
export const tally = (statuses: (number | string)[]) =>
  statuses.reduce<Record<string, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});
