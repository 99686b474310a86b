/**
 * The HTTP API of the sleep-time service (Hono). Every `/v1` route is authenticated by a bearer API
 * key and sees only its tenant's contexts: a tenant's context `x` is stored as `<tenant id>.<x>`,
 * and anything outside that prefix answers 404, never 403, so ids of other tenants cannot be probed.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { structuredPatch } from 'diff';
import { createEngine } from '@sleeptime/core';
import { createSleepTriggers, type SleepTriggerOptions } from '../jobs/sleep-triggers.js';
import { applyStaleAskPolicy, defaultStaleAskPolicy, type StaleAskPolicy } from '../jobs/stale-ask.js';
import { SleeptimeError, systemError } from '@sleeptime/core';
import type { SleeptimeModel } from '@sleeptime/core';
import type { ContextRecord, JobRecord, LearnedContextRecord, ModelCallRecord, RunRecord, Store, TenantRecord } from '@sleeptime/core';
import { hashApiKey } from './api-keys.js';
import { ApiError, errorBody, respondWithError } from './api-errors.js';
import {
  appendContextBody,
  askBody,
  contextIdParameter,
  learnedDiffQuery,
  listContextsQuery,
  putContextBody,
  runsQuery,
  sleepBody,
} from './api-schemas.js';
import { startStreamingAsk } from './ask-stream.js';
import { readJsonBody, validate } from './request-validation.js';
import { buildOpenApiDocument } from './openapi.js';
import { handleChatCompletion } from './openai-proxy.js';

export const defaultMaxBodyBytes = 1024 * 1024;

export interface ServerAppOptions {
  store: Store;
  /** The model, or a function that makes it on first use (loading it is then deferred to the first sleep or ask). */
  model: SleeptimeModel | (() => Promise<SleeptimeModel>);
  /** Largest request body accepted, in bytes (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /**
   * When sleep jobs are enqueued (quiet period after a write, every N asks or appends). Jobs are run
   * by a worker (`src/jobs/job-worker.ts`) the caller starts on the same store.
   */
  triggers?: Omit<SleepTriggerOptions, 'jobs' | 'now'>;
  /** Asks on a stale learned context: serve it flagged (default), wait for a fresh one, or go without. */
  staleAsk?: StaleAskPolicy;
  now?: () => number;
}

export type ServerEnvironment = { Variables: { tenant: TenantRecord } };

// ---------------------------------------------------------------------------------------------------
// Tenancy: ids inside the store carry the tenant's prefix; ids on the wire never do.

function internalId(tenant: TenantRecord, contextId: string): string {
  return `${tenant.id}.${contextId}`;
}

function externalId(tenant: TenantRecord, storedId: string): string {
  return storedId.slice(tenant.id.length + 1);
}

function belongsTo(tenant: TenantRecord, storedId: string): boolean {
  return storedId.startsWith(`${tenant.id}.`);
}

function contextIdFrom(context: Context): string {
  const id = context.req.param('id');
  const parsed = contextIdParameter.safeParse(id);
  if (!parsed.success) {
    throw new ApiError(400, 'invalid_context_id', `Invalid context id "${id}": use 1-110 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return parsed.data;
}

function queryOf(context: Context): Record<string, string> {
  return context.req.query();
}

// ---------------------------------------------------------------------------------------------------
// Wire shapes

function contextJson(tenant: TenantRecord, record: ContextRecord) {
  return {
    id: externalId(tenant, record.id),
    version: record.version,
    text: record.text,
    metadata: record.metadata,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

function learnedJson(tenant: TenantRecord, record: LearnedContextRecord, version: number, contextVersion: number) {
  return {
    contextId: externalId(tenant, record.contextId),
    version,
    sourceVersion: record.sourceVersion,
    fresh: record.sourceVersion === contextVersion,
    text: record.text,
    runId: record.runId,
    createdAt: record.createdAt.toISOString(),
  };
}

function runJson(tenant: TenantRecord, run: RunRecord) {
  return {
    id: run.id,
    contextId: externalId(tenant, run.contextId),
    kind: run.kind,
    status: run.status,
    model: run.model,
    settings: run.settings,
    sourceVersion: run.sourceVersion,
    question: run.question,
    answer: run.answer,
    final: run.final,
    fresh: run.fresh,
    usage: run.usage,
    error: run.error,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: run.durationMs,
  };
}

/** A sleep run that a job will start: run-shaped, so a client follows it like any run. */
function queuedRunJson(tenant: TenantRecord, job: JobRecord, contextVersion: number) {
  return {
    id: job.runId,
    jobId: job.id,
    contextId: externalId(tenant, job.contextId),
    kind: 'sleep' as const,
    // A job that failed before it could start a run reports its error here.
    status: job.status === 'failed' ? ('failed' as const) : ('queued' as const),
    model: null,
    settings: job.payload,
    sourceVersion: contextVersion,
    question: null,
    answer: null,
    final: null,
    fresh: null,
    usage: { inputTokens: 0, outputTokens: 0, reasoningTokens: 0 },
    error: job.status === 'failed' ? job.error : null,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    runAfter: job.runAfter.toISOString(),
  };
}

function jobJson(tenant: TenantRecord, job: JobRecord) {
  return {
    id: job.id,
    kind: job.kind,
    contextId: externalId(tenant, job.contextId),
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    runAfter: job.runAfter.toISOString(),
    runId: job.runId,
    error: job.error,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
  };
}

function callJson(call: ModelCallRecord) {
  return { phase: call.phase, branch: call.branch, step: call.step, usage: call.usage, finishReason: call.finishReason, durationMs: call.durationMs };
}

function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!contextIdParameter.safeParse(id).success) throw new ApiError(400, 'invalid_cursor', 'The cursor is not one this API returned');
  return id;
}

// ---------------------------------------------------------------------------------------------------

export function createServerApp(options: ServerAppOptions): Hono<ServerEnvironment> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const triggers = createSleepTriggers({ ...options.triggers, jobs: store.jobs, now: () => new Date(now()) });
  const staleAsk = options.staleAsk ?? defaultStaleAskPolicy;

  // One model for the engine, the streaming ask and the proxy, made once on first use.
  let modelPromise: Promise<SleeptimeModel> | undefined;
  const loadModel = (): Promise<SleeptimeModel> => {
    const source = options.model;
    if (typeof source !== 'function') return Promise.resolve(source);
    modelPromise ??= source().catch((error: unknown) => {
      modelPromise = undefined;
      if (SleeptimeError.isInstance(error)) throw error;
      throw systemError('model_load_failed', `Could not load the model: ${error instanceof Error ? error.message : String(error)}`, error);
    });
    return modelPromise;
  };
  const engine = createEngine({ store, model: loadModel, now });

  const app = new Hono<ServerEnvironment>();

  app.onError((error, context) => respondWithError(context, error));
  app.notFound((context) => context.json(errorBody(404, 'route_not_found', `No route ${context.req.method} ${context.req.path}`), 404));

  app.use(
    '*',
    bodyLimit({
      maxSize: options.maxBodyBytes ?? defaultMaxBodyBytes,
      onError: (context) =>
        context.json(errorBody(413, 'body_too_large', `The request body is larger than ${options.maxBodyBytes ?? defaultMaxBodyBytes} bytes`), 413),
    }),
  );

  app.get('/health', (context) => context.json({ status: 'ok' }));
  app.get('/ready', async (context) => {
    try {
      await store.tenants.count();
      return context.json({ status: 'ready' });
    } catch {
      return context.json(errorBody(503, 'store_unavailable', 'The store cannot be reached'), 503);
    }
  });
  app.get('/openapi.json', (context) => context.json(buildOpenApiDocument()));

  app.use('/v1/*', async (context, next) => {
    const header = context.req.header('authorization');
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) {
      return context.json(errorBody(401, 'missing_api_key', 'Send an API key as "Authorization: Bearer <key>"'), 401);
    }
    const found = await store.apiKeys.findActiveByHash(hashApiKey(match[1]));
    if (found === undefined) return context.json(errorBody(401, 'invalid_api_key', 'The API key is unknown or revoked'), 401);
    context.set('tenant', found.tenant);
    await next();
  });

  async function requireContext(tenant: TenantRecord, contextId: string): Promise<ContextRecord> {
    const record = await store.contexts.get(internalId(tenant, contextId));
    if (record === undefined) throw new ApiError(404, 'context_not_found', `No context with id "${contextId}"`);
    return record;
  }

  // --- contexts -------------------------------------------------------------------------------------

  app.get('/v1/contexts', async (context) => {
    const tenant = context.get('tenant');
    const query = validate(listContextsQuery, queryOf(context), 'query');
    const after = query.cursor === undefined ? undefined : internalId(tenant, decodeCursor(query.cursor));
    // One more than asked tells whether a next page exists without a second query.
    const records = await store.contexts.list({ prefix: `${tenant.id}.`, ...(after === undefined ? {} : { after }), limit: query.limit + 1 });
    const page = records.slice(0, query.limit);
    const last = page.at(-1);
    return context.json({
      data: page.map((record) => ({
        id: externalId(tenant, record.id),
        version: record.version,
        characters: record.text.length,
        metadata: record.metadata,
        updatedAt: record.updatedAt.toISOString(),
      })),
      nextCursor: records.length > query.limit && last !== undefined ? encodeCursor(externalId(tenant, last.id)) : null,
    });
  });

  app.put('/v1/contexts/:id', async (context) => {
    const tenant = context.get('tenant');
    const contextId = contextIdFrom(context);
    const body = await readJsonBody(context, putContextBody);
    const record = await engine.putContext({ id: internalId(tenant, contextId), text: body.text, ...(body.metadata === undefined ? {} : { metadata: body.metadata }) });
    await triggers.afterWrite(record.id, 'put');
    return context.json(contextJson(tenant, record), record.version === 1 ? 201 : 200);
  });

  app.post('/v1/contexts/:id/append', async (context) => {
    const tenant = context.get('tenant');
    const contextId = contextIdFrom(context);
    const body = await readJsonBody(context, appendContextBody);
    const record = await store.contexts.append({ id: internalId(tenant, contextId), text: body.text, separator: body.separator });
    await triggers.afterWrite(record.id, 'append');
    return context.json(contextJson(tenant, record), record.version === 1 ? 201 : 200);
  });

  app.get('/v1/contexts/:id', async (context) => {
    const tenant = context.get('tenant');
    return context.json(contextJson(tenant, await requireContext(tenant, contextIdFrom(context))));
  });

  app.delete('/v1/contexts/:id', async (context) => {
    const tenant = context.get('tenant');
    const contextId = contextIdFrom(context);
    const deleted = await store.contexts.delete(internalId(tenant, contextId));
    if (!deleted) throw new ApiError(404, 'context_not_found', `No context with id "${contextId}"`);
    return context.body(null, 204);
  });

  // --- learned contexts -----------------------------------------------------------------------------

  app.get('/v1/contexts/:id/learned', async (context) => {
    const tenant = context.get('tenant');
    const record = await requireContext(tenant, contextIdFrom(context));
    const history = await store.learned.history(record.id);
    const latest = history.at(-1);
    if (latest === undefined) {
      throw new ApiError(404, 'learned_context_not_found', `Context "${externalId(tenant, record.id)}" has no learned context yet: trigger a sleep run`);
    }
    return context.json(learnedJson(tenant, latest, history.length, record.version));
  });

  app.get('/v1/contexts/:id/learned/history', async (context) => {
    const tenant = context.get('tenant');
    const record = await requireContext(tenant, contextIdFrom(context));
    const history = await store.learned.history(record.id);
    return context.json({ data: history.map((learned, index) => learnedJson(tenant, learned, index + 1, record.version)) });
  });

  app.get('/v1/contexts/:id/learned/diff', async (context) => {
    const tenant = context.get('tenant');
    const record = await requireContext(tenant, contextIdFrom(context));
    const query = validate(learnedDiffQuery, queryOf(context), 'query');
    const history = await store.learned.history(record.id);
    const to = query.to ?? history.length;
    const from = query.from ?? to - 1;
    const fromRecord = history[from - 1];
    const toRecord = history[to - 1];
    if (fromRecord === undefined || toRecord === undefined || from < 1) {
      throw new ApiError(404, 'learned_version_not_found', `Learned versions ${from} and ${to} do not both exist (there are ${history.length})`, {
        versions: history.length,
      });
    }
    const patch = structuredPatch(`learned-v${from}`, `learned-v${to}`, fromRecord.text, toRecord.text, '', '', { context: 3 });
    const lines = patch.hunks.flatMap((hunk) => hunk.lines);
    return context.json({
      from,
      to,
      added: lines.filter((line) => line.startsWith('+')).length,
      removed: lines.filter((line) => line.startsWith('-')).length,
      hunks: patch.hunks.map((hunk) => ({ oldStart: hunk.oldStart, oldLines: hunk.oldLines, newStart: hunk.newStart, newLines: hunk.newLines, lines: hunk.lines })),
    });
  });

  // --- runs -----------------------------------------------------------------------------------------

  app.post('/v1/contexts/:id/sleep', async (context) => {
    const tenant = context.get('tenant');
    const contextId = contextIdFrom(context);
    const body = await readJsonBody(context, sleepBody);
    const record = await requireContext(tenant, contextId);
    // A durable job (coalesced with a pending one for this context); the worker runs it.
    const job = await triggers.onDemand(record.id, body);
    const queued = queuedRunJson(tenant, job, record.version);
    context.header('location', `/v1/runs/${queued.id}`);
    return context.json(queued, 202);
  });

  app.get('/v1/jobs/:jobId', async (context) => {
    const tenant = context.get('tenant');
    const jobId = context.req.param('jobId');
    const job = await store.jobs.get(jobId);
    if (job === undefined || !belongsTo(tenant, job.contextId)) throw new ApiError(404, 'job_not_found', `No job with id "${jobId}"`);
    return context.json(jobJson(tenant, job));
  });

  app.get('/v1/contexts/:id/runs', async (context) => {
    const tenant = context.get('tenant');
    const record = await requireContext(tenant, contextIdFrom(context));
    const query = validate(runsQuery, queryOf(context), 'query');
    const runs = await store.runs.list(record.id, { limit: query.limit });
    return context.json({ data: runs.map((run) => runJson(tenant, run)) });
  });

  app.get('/v1/runs/:runId', async (context) => {
    const tenant = context.get('tenant');
    const runId = context.req.param('runId');
    const run = await store.runs.get(runId);
    if (run === undefined) {
      // A run requested on demand has its id before its job starts it.
      const job = await store.jobs.findByRunId(runId);
      if (job !== undefined && belongsTo(tenant, job.contextId)) {
        const contextRecord = await store.contexts.get(job.contextId);
        return context.json({ ...queuedRunJson(tenant, job, contextRecord?.version ?? 0), calls: [] });
      }
    }
    if (run === undefined || !belongsTo(tenant, run.contextId)) throw new ApiError(404, 'run_not_found', `No run with id "${runId}"`);
    const calls = await store.runs.calls(runId);
    return context.json({ ...runJson(tenant, run), calls: calls.map(callJson) });
  });

  // --- ask ------------------------------------------------------------------------------------------

  app.post('/v1/contexts/:id/ask', async (context) => {
    const tenant = context.get('tenant');
    const contextId = contextIdFrom(context);
    const body = await readJsonBody(context, askBody);
    const record = await requireContext(tenant, contextId);
    const policy: StaleAskPolicy =
      body.stalePolicy === undefined
        ? staleAsk
        : body.stalePolicy === 'wait'
          ? { mode: 'wait', waitMs: body.staleWaitMs ?? (staleAsk.mode === 'wait' ? staleAsk.waitMs : 2000) }
          : { mode: body.stalePolicy };
    let useLearned = body.useLearned;
    if (
      useLearned !== false &&
      (await applyStaleAskPolicy({ store, triggers, contextId: record.id, contextVersion: record.version, policy, signal: context.req.raw.signal })) === 'without'
    ) {
      useLearned = false;
    }
    await triggers.afterAsk(record.id);
    const budget = {
      ...(body.verbosity === undefined ? {} : { verbosity: body.verbosity as 0 | 1 | 2 | 3 | 4 }),
      ...(body.effort === undefined ? {} : { effort: body.effort }),
      ...(body.thinkingBudget === undefined ? {} : { thinkingBudget: body.thinkingBudget }),
      ...(useLearned === undefined ? {} : { useLearned }),
    };
    if (body.stream !== true) {
      const result = await engine.ask(internalId(tenant, contextId), body.question, {
        ...budget,
        ...(body.maxTokens === undefined ? {} : { maxOutputTokens: body.maxTokens }),
        signal: context.req.raw.signal,
      });
      return context.json({
        runId: result.runId,
        contextId,
        answer: result.answer,
        final: result.final,
        fresh: result.fresh,
        contextVersion: result.contextVersion,
        learnedSourceVersion: result.learnedSourceVersion,
        usage: result.usage,
        latencyMs: result.latencyMs,
        stalePolicy: policy.mode,
      });
    }
    const abort = new AbortController();
    const asking = await startStreamingAsk({
      store,
      loadModel,
      input: { contextId: internalId(tenant, contextId), question: body.question, ...budget, ...(body.maxTokens === undefined ? {} : { maxTokens: body.maxTokens }) },
      signal: abort.signal,
      now,
    });
    return streamSSE(context, async (stream) => {
      stream.onAbort(() => abort.abort());
      for await (const event of asking.events) {
        const { type, ...data } = event;
        await stream.writeSSE({ event: type, data: JSON.stringify(type === 'done' ? { ...data, contextId } : data) });
      }
    });
  });

  // --- OpenAI-compatible proxy ----------------------------------------------------------------------

  app.post('/v1/chat/completions', (context) =>
    handleChatCompletion(context, {
      store,
      loadModel,
      now,
      storedContextId: (name) => internalId(context.get('tenant'), name),
      // Proxied completions count as asks: for every-N-asks sleeps and for the stale-ask policy.
      triggers,
      staleAsk,
    }),
  );

  return app;
}
