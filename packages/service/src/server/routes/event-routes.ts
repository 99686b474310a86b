/**
 * `GET /v1/events`: the caller's tenant's activity as server-sent events, `run` (a run as
 * `GET /v1/runs/:id` shows it, when it starts and when it ends) and `job` (a sleep job as
 * `GET /v1/jobs/:id` shows it, when its state changes), after one `ready` event. A comment line every
 * `heartbeatMs` keeps proxies from closing a quiet stream and finds clients that hung up.
 *
 * Bounded: a stream is only served to a client that asks for one (`Accept: text/event-stream`;
 * anything else is 406 and costs nothing), each API key may hold `maxStreamsPerKey` open at once
 * (429 past it), a client that hangs up is unsubscribed at once, a client that reads too slowly is
 * dropped once `maxQueuedEvents` wait for it (it reconnects and reads the state afresh), and every
 * stream ends when the server shuts down (the app's `shutdown` signal).
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ApiError } from '../api-errors.js';
import { eventsQuery } from '../api-schemas.js';
import type { ActivityEvent, ActivityFeed } from '../events/activity-feed.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';
import { validate } from '../request-validation.js';
import { jobJson, runJson } from '../wire-shapes.js';

export interface EventStreamOptions {
  activity: ActivityFeed;
  pollIntervalMs: number;
  maxStreamsPerKey: number;
  heartbeatMs: number;
  maxQueuedEvents: number;
  shutdown: AbortSignal | undefined;
}

export function eventRoutes(options: EventStreamOptions): Hono<AuthenticatedEnvironment> {
  const routes = new Hono<AuthenticatedEnvironment>();
  /** Open streams per API key, keyed by a digest so the map holds no key in the clear. */
  const openStreams = new Map<string, number>();

  routes.get('/events', (context) => {
    validate(eventsQuery, context.req.query(), 'query');
    if (!/\btext\/event-stream\b/i.test(context.req.header('accept') ?? '')) {
      throw new ApiError(406, 'event_stream_required', 'GET /v1/events answers with server-sent events: send "Accept: text/event-stream"');
    }
    if (options.shutdown?.aborted === true) throw new ApiError(503, 'shutting_down', 'The server is shutting down');
    const key = createHash('sha256').update(context.req.header('authorization') ?? '').digest('base64url');
    const open = openStreams.get(key) ?? 0;
    if (open >= options.maxStreamsPerKey) {
      throw new ApiError(429, 'too_many_event_streams', `This API key already has ${open} event streams open, the most it may hold at once; close one first`, {
        limit: options.maxStreamsPerKey,
      });
    }
    openStreams.set(key, open + 1);
    const scope = context.get('scope');
    const requestSignal = context.req.raw.signal;

    return streamSSE(context, async (stream) => {
      const queued: { event: string; data: string }[] = [];
      let overflowed = false;
      let wake: (() => void) | undefined;
      const toMessage = (event: ActivityEvent) =>
        event.type === 'run' ? { event: 'run', data: JSON.stringify(runJson(scope, event.run)) } : { event: 'job', data: JSON.stringify(jobJson(scope, event.job)) };
      const unsubscribe = options.activity.subscribe(scope.prefix, (event) => {
        if (queued.length >= options.maxQueuedEvents) overflowed = true;
        else queued.push(toMessage(event));
        wake?.();
      });
      let ended = false;
      const end = () => {
        ended = true;
        wake?.();
      };
      stream.onAbort(end);
      requestSignal.addEventListener('abort', end, { once: true });
      options.shutdown?.addEventListener('abort', end, { once: true });
      try {
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ pollIntervalMs: options.pollIntervalMs }), retry: 3000 });
        while (!ended && !stream.aborted && !overflowed) {
          const next = queued.shift();
          if (next !== undefined) {
            await stream.writeSSE(next);
            continue;
          }
          let timer: NodeJS.Timeout | undefined;
          const beat = await new Promise<boolean>((resolve) => {
            wake = () => resolve(false);
            timer = setTimeout(() => resolve(true), options.heartbeatMs);
          });
          clearTimeout(timer);
          wake = undefined;
          if (beat && !ended) await stream.write(': keep-alive\n\n');
        }
      } finally {
        unsubscribe();
        requestSignal.removeEventListener('abort', end);
        options.shutdown?.removeEventListener('abort', end);
        const left = (openStreams.get(key) ?? 1) - 1;
        if (left <= 0) openStreams.delete(key);
        else openStreams.set(key, left);
      }
    });
  });

  return routes;
}
