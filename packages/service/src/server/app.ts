/**
 * The HTTP API of the sleep-time service (Hono): public health, readiness and OpenAPI routes, then
 * the `/v1` routes behind API-key authentication, each route module translating between HTTP and
 * the engine (contexts, learned contexts, runs, ask, the OpenAI-compatible proxy). Every request
 * sees only its tenant's contexts (see tenancy/tenant-scope.ts).
 */
import { createEngine, userError, withoutUndefined, type SleeptimeModel, type Store } from '@sleeptime/core';
import { Hono } from 'hono';
import { dailySleepTokenLimit } from '../jobs/job-runner.js';
import { createSleepJobs, type SleepTriggerOptions } from '../jobs/sleep-triggers.js';
import { defaultStaleAskPolicy, type StaleAskPolicy } from '../jobs/stale-ask.js';
import { authenticateApiKey, storeAnswers } from '../tenancy/api-keys.js';
import { errorBody, respondWithError, serverErrorDetail, type ServerErrorLog } from './api-errors.js';
import { apiKeyAuth, type AuthenticatedEnvironment } from './middleware/api-key-auth.js';
import { bodySizeLimit } from './middleware/body-size-limit.js';
import { buildOpenApiDocument } from './openapi.js';
import { askRoutes } from './routes/ask-routes.js';
import { chatCompletionRoutes } from './routes/chat-completion-routes.js';
import { modelsRoutes } from './routes/models-routes.js';
import { rateLimitPerKey, type RateLimit } from './middleware/rate-limit.js';
import { contextRoutes } from './routes/context-routes.js';
import { learnedRoutes } from './routes/learned-routes.js';
import type { RouteDependencies, TenantQuotaLimits } from './routes/route-support.js';
import { runRoutes } from './routes/run-routes.js';
import { usageRoutes } from './routes/usage-routes.js';
import { savingsRoutes } from './routes/savings-routes.js';
import { eventRoutes } from './routes/event-routes.js';
import { createActivityFeed } from './events/activity-feed.js';
import { dashboardRoutes } from '../dashboard/dashboard-routes.js';
import { defaultMaxBodyBytes, defaultRateLimit, defaultTenantQuota } from './service-defaults.js';

export { defaultMaxBodyBytes };

export interface ServerAppOptions {
  store: Store;
  /** The model, or a function that makes it on first use (loading it is then deferred to the first sleep or ask). */
  model: SleeptimeModel | (() => Promise<SleeptimeModel>);
  /** The model's spec (e.g. `openai:gpt-4o-mini`), listed by `GET /v1/models`; the model itself need not be loaded for it. */
  modelName?: string;
  /** Largest request body accepted, in bytes (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** Largest text a context may reach by a put or an append, in bytes of UTF-8 (default 4 MiB); larger writes get 413 `context_too_large`. */
  maxContextBytes?: number;
  /**
   * Folders of this machine under which a tenant's repository context (metadata `repository`, see
   * `context put --repo`) may name a repository; default none: a put with that key gets 403
   * `repository_not_allowed`, so no tenant can point the server at an arbitrary path on its disk.
   */
  repositoryRoots?: readonly string[];
  /**
   * When sleep jobs are enqueued (quiet period after a write, every N asks or appends). Jobs are run
   * by a worker (see `startSleepJobProcessing`) the caller starts on the same store.
   */
  triggers?: Omit<SleepTriggerOptions, 'jobs' | 'now'>;
  /** Asks on a stale learned context: serve it flagged (default), wait for a fresh one, or go without. */
  staleAsk?: StaleAskPolicy;
  /** Where the detail of each 5xx answer is written (default stderr); the client sees only a code and a scrubbed message. */
  logError?: ServerErrorLog;
  /** Contexts one tenant may keep (default 10,000; 0: no limit); a put or append creating one more gets 403 `tenant_context_limit`. */
  maxContextsPerTenant?: number;
  /** Bytes of UTF-8 text one tenant's contexts may hold in all (default 256 MiB; 0: no limit); a write growing past it gets 403 `tenant_storage_limit`. */
  maxBytesPerTenant?: number;
  /**
   * Sleep-time tokens (input + output of sleep-time model calls) one tenant may spend a UTC day
   * (default 2,000,000; 0: no limit). At or over it, `POST /sleep` gets 429 `sleep_token_limit` with
   * `Retry-After` until the next 00:00 UTC. The job runner (`startSleepJobProcessing`) takes the same
   * option: its jobs wait for the next day.
   */
  maxSleepTokensPerTenantPerDay?: number;
  /** Requests per second per API key (token bucket); default {@link defaultRateLimit}; false for none. */
  rateLimit?: RateLimit | false;
  /** `GET /v1/events`: how often a followed tenant's runs and jobs are polled (default 1 s), and open streams per API key (default 8). */
  events?: { pollIntervalMs?: number; maxStreamsPerKey?: number; heartbeatMs?: number };
  /** The web dashboard at `/ui` (default true). */
  dashboard?: boolean;
  /** Aborted when the server stops: open event streams end, so closing the HTTP server does not wait for them. */
  shutdown?: AbortSignal;
  now?: () => number;
}

export type ServerEnvironment = AuthenticatedEnvironment;

/** The per-tenant limits from the options: defaults where unset, none where 0. */
function tenantQuotaLimits(options: ServerAppOptions): TenantQuotaLimits {
  const limit = (value: number | undefined, fallback: number, field: string) => {
    const chosen = value ?? fallback;
    if (!Number.isSafeInteger(chosen) || chosen < 0) throw userError('invalid_option', `${field} must be a whole number of at least 0, got ${String(chosen)}`, { field });
    return chosen === 0 ? undefined : chosen;
  };
  return withoutUndefined({
    maxContexts: limit(options.maxContextsPerTenant, defaultTenantQuota.maxContexts, 'maxContextsPerTenant'),
    maxBytes: limit(options.maxBytesPerTenant, defaultTenantQuota.maxBytes, 'maxBytesPerTenant'),
  });
}

export function createServerApp(options: ServerAppOptions): Hono<ServerEnvironment> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const dependencies: RouteDependencies = {
    engine: createEngine({ store, model: options.model, now, maxContextBytes: options.maxContextBytes, repositoryAccess: { roots: options.repositoryRoots ?? [] } }),
    jobs: createSleepJobs({ ...options.triggers, jobs: store.jobs, now: () => new Date(now()) }),
    staleAsk: options.staleAsk ?? defaultStaleAskPolicy,
    tenantQuota: tenantQuotaLimits(options),
    maxSleepTokensPerTenantPerDay: dailySleepTokenLimit(options.maxSleepTokensPerTenantPerDay),
    now,
    modelName: options.modelName ?? (typeof options.model === 'function' ? undefined : options.model.spec),
    startedAt: now(),
  };

  const app = new Hono<ServerEnvironment>();
  app.onError((error, context) => respondWithError(context, error, options.logError));
  app.notFound((context) => context.json(errorBody(404, 'route_not_found', `No route ${context.req.method} ${context.req.path}`), 404));
  app.use(
    '*',
    bodySizeLimit({
      maxBytes: maxBodyBytes,
      onTooLarge: (context) => context.json(errorBody(413, 'body_too_large', `The request body is larger than ${maxBodyBytes} bytes`), 413),
    }),
  );

  app.get('/health', (context) => context.json({ status: 'ok' }));
  app.get('/ready', async (context) =>
    (await storeAnswers(store)) ? context.json({ status: 'ready' }) : context.json(errorBody(503, 'store_unavailable', 'The store cannot be reached'), 503),
  );
  app.get('/openapi.json', (context) => context.json(buildOpenApiDocument()));

  app.use('/v1/*', apiKeyAuth({ authenticate: (key) => authenticateApiKey(store, key) }));
  // After authentication: only a valid key has a bucket, so made-up keys cannot crowd the table.
  if (options.rateLimit !== false) app.use('/v1/*', rateLimitPerKey(options.rateLimit ?? defaultRateLimit, now));
  for (const routes of [contextRoutes, learnedRoutes, runRoutes, askRoutes, chatCompletionRoutes, modelsRoutes, usageRoutes, savingsRoutes]) app.route('/v1', routes(dependencies));
  const pollIntervalMs = options.events?.pollIntervalMs ?? 1000;
  const activity = createActivityFeed({ engine: dependencies.engine, jobs: dependencies.jobs, pollIntervalMs, now, onError: (error) => (options.logError ?? ((line: string) => process.stderr.write(line)))(`events: a poll failed: ${serverErrorDetail(error)}\n`) });
  app.route(
    '/v1',
    eventRoutes({
      activity,
      pollIntervalMs,
      maxStreamsPerKey: options.events?.maxStreamsPerKey ?? 8,
      heartbeatMs: options.events?.heartbeatMs ?? 15_000,
      maxQueuedEvents: 1000,
      shutdown: options.shutdown,
    }),
  );
  if (options.dashboard !== false) app.route('/', dashboardRoutes());
  return app;
}
