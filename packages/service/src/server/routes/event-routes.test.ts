/**
 * `GET /v1/events` on a real HTTP server: a tenant's runs and jobs as they change, nothing of
 * another tenant's, a cap on open streams per key, streams of clients that hang up released, and
 * every stream ended when the server shuts down.
 */
import { waitFor } from '@sleeptime/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../http-server.js';
import { createServerTestBed, parseServerSentEvents, sleepReplies, type ServerTestBed } from '../server-test-support.js';

let bed: ServerTestBed;
let server: RunningHttpServer;
let shutdown: AbortController;
const streams: AbortController[] = [];

beforeEach(async () => {
  shutdown = new AbortController();
  bed = await createServerTestBed({ triggers: { quietPeriodMs: 3_600_000 }, events: { pollIntervalMs: 50, maxStreamsPerKey: 2, heartbeatMs: 200 }, shutdown: shutdown.signal });
  server = await startHttpServer(bed.app, { port: 0, host: '127.0.0.1' });
});

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.abort();
  shutdown.abort();
  // The shutdown test closed it already.
  await server.close().catch(() => undefined);
  await bed.close();
});

interface OpenStream {
  response: Response;
  events: { event: string; data: Record<string, unknown> }[];
  text(): string;
  close(): void;
  /** Resolves when the server ends the stream (or the test aborts it). */
  ended: Promise<void>;
}

/** Opens an event stream and collects what arrives until it is closed. */
async function openEvents(key: string, headers: Record<string, string> = { accept: 'text/event-stream' }): Promise<OpenStream> {
  const controller = new AbortController();
  streams.push(controller);
  const response = await fetch(`${server.url}/v1/events`, { headers: { authorization: `Bearer ${key}`, ...headers }, signal: controller.signal });
  let text = '';
  let markEnded = () => {};
  const stream: OpenStream = {
    response,
    events: [],
    text: () => text,
    close: () => controller.abort(),
    ended: new Promise((resolve) => (markEnded = resolve)),
  };
  if (response.ok && response.body !== null) {
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          text += decoder.decode(chunk, { stream: true });
          stream.events = parseServerSentEvents(text.replace(/^: keep-alive\n\n/gm, '')).map((entry) => ({ event: entry.event, data: JSON.parse(entry.data) as Record<string, unknown> }));
        }
      } catch {
        // Aborted by the test.
      }
      markEnded();
    })();
  }
  return stream;
}

describe('GET /v1/events', () => {
  it('streams the tenant\'s runs as they start and end and its jobs as they change, and nothing of another tenant', async () => {
    const mine = await openEvents(bed.keyA);
    const theirs = await openEvents(bed.keyB);
    expect(mine.response.status).toBe(200);
    expect(mine.response.headers.get('content-type')).toContain('text/event-stream');
    await waitFor('the ready event', () => mine.events.find((entry) => entry.event === 'ready'));

    await bed.call('PUT', '/v1/contexts/notes', { body: { text: 'Ana has 3 apples.' } });
    bed.replies.push(...sleepReplies('Ana: 3 apples'));
    const queued = (await (await bed.call('POST', '/v1/contexts/notes/sleep', { body: {} })).json()) as { id: string; jobId: string };

    const finished = await waitFor('the run to end, live', () => mine.events.find((entry) => entry.event === 'run' && entry.data.id === queued.id && entry.data.status === 'succeeded'));
    expect(finished.data).toMatchObject({ contextId: 'notes', kind: 'sleep', usage: { outputTokens: 15 } });
    await waitFor('the job to succeed, live', () => mine.events.find((entry) => entry.event === 'job' && entry.data.id === queued.jobId && entry.data.status === 'succeeded'));
    expect(mine.events.filter((entry) => entry.event === 'job').map((entry) => entry.data.contextId)).toEqual(expect.arrayContaining(['notes']));
    // Neither ids nor the tenant's prefix leak into another tenant's stream.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(theirs.events.map((entry) => entry.event)).toEqual(['ready']);
    expect(theirs.text()).not.toContain('notes');
  });

  it('is a stream only for a client that asks for one, and refuses bad input as JSON with a code', async () => {
    for (const accept of ['*/*', 'application/json']) {
      const refused = await fetch(`${server.url}/v1/events`, { headers: { authorization: `Bearer ${bed.keyA}`, accept } });
      expect(refused.status).toBe(406);
      expect(await refused.json()).toMatchObject({ error: { code: 'event_stream_required' } });
    }
    const unknownParameter = await fetch(`${server.url}/v1/events?since=1`, { headers: { authorization: `Bearer ${bed.keyA}`, accept: 'text/event-stream' } });
    expect(unknownParameter.status).toBe(400);
    const wrongKey = await fetch(`${server.url}/v1/events`, { headers: { authorization: 'Bearer sk-wrong', accept: 'text/event-stream' } });
    expect(wrongKey.status).toBe(401);
  });

  it('holds a few streams per key at once, and frees the place of a client that hung up', async () => {
    const first = await openEvents(bed.keyA);
    await openEvents(bed.keyA);
    const third = await openEvents(bed.keyA);
    expect(third.response.status).toBe(429);
    expect(await third.response.json()).toMatchObject({ error: { code: 'too_many_event_streams', details: { limit: 2 } } });
    // Another key has places of its own.
    expect((await openEvents(bed.keyB)).response.status).toBe(200);

    first.close();
    const again = await waitFor('a place after the hang-up', async () => {
      const attempt = await openEvents(bed.keyA);
      if (attempt.response.status === 200) return attempt;
      attempt.close();
      return undefined;
    });
    await waitFor('the ready event', () => again.events.find((entry) => entry.event === 'ready'));
    // A quiet stream is kept alive by comment lines.
    await waitFor('a keep-alive', () => (again.text().includes(': keep-alive') ? true : undefined));
  });

  it('ends every stream when the server shuts down, so closing it does not wait for them', async () => {
    const open = await openEvents(bed.keyA);
    await waitFor('the ready event', () => open.events.find((entry) => entry.event === 'ready'));
    shutdown.abort();
    await open.ended;
    await server.close();
    const refused = await bed.call('GET', '/v1/events', { headers: { accept: 'text/event-stream' } });
    expect(refused.status).toBe(503);
  });
});
