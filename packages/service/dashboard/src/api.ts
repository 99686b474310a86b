/**
 * The `/v1` API as the dashboard calls it: every request carries the API key the user signed in
 * with (kept in sessionStorage by the sign-in page, never in a URL), and an error answer becomes an
 * `ApiError` with the API's code and message.
 */
import type { ApiErrorBody, AskAnswer, Job, LiveEvent, Run, Usage } from './api-types.js';
import { readServerSentEvents } from './server-sent-events.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as ApiErrorBody;
    return new ApiError(response.status, body.error.code, body.error.message);
  } catch {
    return new ApiError(response.status, 'http_error', `The server answered ${response.status}`);
  }
}

export interface StreamedAsk {
  /** Milliseconds from the request to the first streamed piece, as this page saw it. */
  firstPieceMs: number | null;
  answer: AskAnswer;
}

export class Api {
  constructor(readonly key: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, ...extra };
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    const response = await fetch(path, { headers: this.headers(), ...(signal === undefined ? {} : { signal }) });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  async send<T>(method: 'POST' | 'PUT', path: string, body: unknown): Promise<T> {
    const response = await fetch(path, { method, headers: this.headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  /** `POST /v1/contexts/:id/ask` with `stream: true`: `onText` gets the answer as it is written. */
  async streamAsk(contextId: string, body: Record<string, unknown>, onText: (text: string) => void, signal: AbortSignal): Promise<StreamedAsk> {
    const started = performance.now();
    const response = await fetch(`/v1/contexts/${encodeURIComponent(contextId)}/ask`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
      body: JSON.stringify({ ...body, stream: true }),
      signal,
    });
    if (!response.ok || response.body === null) throw await errorOf(response);
    let firstPieceMs: number | null = null;
    for await (const event of readServerSentEvents(response.body)) {
      if (event.event === 'delta') {
        firstPieceMs ??= performance.now() - started;
        onText((JSON.parse(event.data) as { text: string }).text);
      } else if (event.event === 'done') {
        return { firstPieceMs, answer: JSON.parse(event.data) as AskAnswer };
      } else if (event.event === 'error') {
        const error = JSON.parse(event.data) as { code: string; message: string };
        throw new ApiError(200, error.code, error.message);
      }
    }
    throw new ApiError(0, 'stream_ended', 'The answer stream ended before the answer was complete');
  }

  /**
   * Follows `GET /v1/events` until `signal` aborts, reconnecting (with a growing pause) when the
   * stream ends or fails; `onState` says whether it is connected. A refused key stops it.
   */
  async followEvents(onEvent: (event: LiveEvent) => void, onState: (state: 'live' | 'reconnecting' | 'stopped', reason?: string) => void, signal: AbortSignal): Promise<void> {
    let pauseMs = 1000;
    while (!signal.aborted) {
      try {
        const response = await fetch('/v1/events', { headers: this.headers({ accept: 'text/event-stream' }), signal });
        if (response.status === 401) {
          onState('stopped', 'The API key is no longer valid');
          return;
        }
        if (!response.ok || response.body === null) throw await errorOf(response);
        for await (const event of readServerSentEvents(response.body)) {
          if (event.event === 'ready') {
            pauseMs = 1000;
            onState('live');
          } else if (event.event === 'run') onEvent({ type: 'run', run: JSON.parse(event.data) as Run });
          else if (event.event === 'job') onEvent({ type: 'job', job: JSON.parse(event.data) as Job });
        }
      } catch (error) {
        if (signal.aborted) return;
        onState('reconnecting', error instanceof Error ? error.message : String(error));
      }
      if (signal.aborted) return;
      onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      pauseMs = Math.min(pauseMs * 2, 15_000);
    }
  }
}

export function totalTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens;
}
