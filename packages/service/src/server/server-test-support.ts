/** Shared set-up of the server tests: a temp SQLite store, a scripted upstream model, two tenants. */
import { createModel } from '@sleeptime/core';
import { openStore } from '@sleeptime/core';
import type { RunRecord, Store } from '@sleeptime/core';
import { createSqliteTestLocation, type TestStoreLocation } from '@sleeptime/core/testing';
import { startScriptedOpenAIServer, type RecordedRequest, type ScriptedOpenAIServer, type ScriptedReply } from '@sleeptime/core/testing';
import { isPrefixWarmUp, waitFor } from '@sleeptime/core/testing';
import { issueApiKey } from '../tenancy/api-keys.js';
import { createServerApp, type ServerAppOptions } from './app.js';
import { createEngine } from '@sleeptime/core';
import { createJobWorker, type JobWorker, type JobWorkerOptions } from '../jobs/job-worker.js';

export interface ServerTestBed {
  store: Store;
  upstream: ScriptedOpenAIServer;
  /** Replies the upstream gives next, in order; a test pushes what it expects to be asked. */
  replies: ScriptedReply[];
  app: ReturnType<typeof createServerApp>;
  /** The in-process job worker, polling every 10 ms. */
  worker: JobWorker;
  keyA: string;
  keyB: string;
  call(method: string, path: string, options?: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export interface ServerTestBedOptions
  extends Partial<
    Pick<
      ServerAppOptions,
      | 'maxBodyBytes'
      | 'maxContextBytes'
      | 'maxContextsPerTenant'
      | 'maxBytesPerTenant'
      | 'maxSleepTokensPerTenantPerDay'
      | 'staleAsk'
      | 'triggers'
      | 'modelName'
      | 'model'
      | 'rateLimit'
      | 'now'
      | 'events'
      | 'shutdown'
      | 'dashboard'
    >
  > {
  /** The worker's options; `now` (ms) is the clock of the app, the worker and its engine alike. */
  worker?: Partial<Pick<JobWorkerOptions, 'retryBaseDelayMs' | 'jobTimeoutMs' | 'leaseMs' | 'maxSleepTokensPerTenantPerDay'>>;
}

export async function createServerTestBed(options: ServerTestBedOptions = {}): Promise<ServerTestBed> {
  const location: TestStoreLocation = await createSqliteTestLocation('server');
  const store = await openStore(location.config);
  const replies: ScriptedReply[] = [];
  const upstream = await startScriptedOpenAIServer((request: RecordedRequest) => {
    // The engine warms the upstream's prefix cache after a sleep run (one token, empty user turn):
    // answered here so it never takes a reply a test scripted for something else.
    if (isPrefixWarmUp(request)) return { text: '.', usage: { prompt_tokens: 1, completion_tokens: 1 } };
    const reply = replies.shift();
    if (reply === undefined) throw new Error('the test scripted no more upstream replies');
    return reply;
  });
  // A test may pass its own model (one that cannot be built, say); the default is the scripted upstream.
  const model = options.model ?? (() => createModel('openai-compatible:scripted', { baseUrl: upstream.baseUrl, retry: { maxAttempts: 1 } }));
  // Retries are far off by default, so a failing run does not take replies a test scripted for later.
  const clock = options.now;
  const worker = createJobWorker({
    store,
    engine: createEngine({ store, model, ...(clock === undefined ? {} : { now: clock }) }),
    pollIntervalMs: 10,
    retryBaseDelayMs: 60_000,
    ...(clock === undefined ? {} : { now: () => new Date(clock()) }),
    ...options.worker,
  });
  const { worker: _workerOptions, ...appOptions } = options;
  const app = createServerApp({
    store,
    model,
    ...appOptions,
    triggers: { ...appOptions.triggers, onEnqueued: () => worker.wake() },
  });
  worker.start();
  const keyA = (await issueApiKey(store, { tenantName: 'tenant-a' })).key;
  const keyB = (await issueApiKey(store, { tenantName: 'tenant-b' })).key;
  return {
    store,
    upstream,
    replies,
    app,
    worker,
    keyA,
    keyB,
    call(method, path, callOptions = {}) {
      const key = callOptions.key === undefined ? keyA : callOptions.key;
      const headers: Record<string, string> = { ...(callOptions.headers ?? {}) };
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | undefined = callOptions.rawBody;
      if (callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body);
        headers['content-type'] = 'application/json';
      }
      return Promise.resolve(app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }));
    },
    async close() {
      await worker.stop();
      await upstream.close();
      await store.close();
      await location.remove();
    },
  };
}

/** Waits until the run exists and has finished (its job may not have started it yet). */
export function waitForStoredRun(store: Store, runId: string, timeoutMs = 5000): Promise<RunRecord> {
  let last: RunRecord | undefined;
  return waitFor(
    `run ${runId} to finish`,
    async () => {
      last = await store.runs.get(runId);
      return last !== undefined && last.status !== 'running' ? last : undefined;
    },
    { timeoutMs, intervalMs: 10, details: () => `(${last?.status ?? 'not started'})` },
  );
}

/** The chat-completions requests a test scripted, warm-ups left out. */
export function scriptedRequests(upstream: ScriptedOpenAIServer): RecordedRequest[] {
  return upstream.requests.filter((request) => !isPrefixWarmUp(request));
}

/** A scripted sleep run: one memory rewrite, then finish. */
export function sleepReplies(memory: string): ScriptedReply[] {
  return [
    { toolCalls: [{ name: 'rethink_memory', arguments: { new_memory: memory } }], usage: { prompt_tokens: 40, completion_tokens: 12 } },
    { toolCalls: [{ name: 'finish_rethinking', arguments: {} }], usage: { prompt_tokens: 50, completion_tokens: 3 } },
  ];
}

/** Parses a text/event-stream body into events. */
export function parseServerSentEvents(text: string): { event: string; data: string }[] {
  return text
    .split(/\n\n+/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      return { event, data: data.join('\n') };
    });
}
