/** What every route module gets, and the request helpers they share. */
import type { ContextQuota, Engine } from '@sleeptime/core';
import type { Context } from 'hono';
import type { SleepJobs } from '../../jobs/sleep-triggers.js';
import type { StaleAskPolicy } from '../../jobs/stale-ask.js';
import { ApiError } from '../api-errors.js';
import { contextIdParameter } from '../api-schemas.js';
import type { AuthenticatedEnvironment } from '../middleware/api-key-auth.js';

export interface RouteDependencies {
  engine: Engine;
  /** Sleep jobs: enqueued after writes, asks and on demand; read by the job and run routes. */
  jobs: SleepJobs;
  /** Each tenant's limits on its contexts, applied to every put and append under its prefix. */
  tenantQuota: TenantQuotaLimits;
  /** Sleep-time tokens one tenant may spend a UTC day; undefined: no limit. */
  maxSleepTokensPerTenantPerDay: number | undefined;
  /** The server's stale-ask policy; a request may override it. */
  staleAsk: StaleAskPolicy;
  now: () => number;
  /** The configured model's spec, listed by `GET /v1/models` (with the alias `sleeptime`). */
  modelName: string | undefined;
  /** When the app was made (ms since the epoch): the `created` time of the listed models. */
  startedAt: number;
}

export type TenantQuotaLimits = Omit<ContextQuota, 'prefix'>;

export type RouteContext = Context<AuthenticatedEnvironment>;

/** The `:id` path parameter, checked: the wire id of one of the tenant's contexts. */
export function contextIdFrom(context: RouteContext): string {
  const id = context.req.param('id');
  const parsed = contextIdParameter.safeParse(id);
  if (!parsed.success) {
    throw new ApiError(400, 'invalid_context_id', `Invalid context id "${id}": use 1-110 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return parsed.data;
}

/** The stored id of the `:id` context. */
export function storedContextId(context: RouteContext): string {
  return context.get('scope').storedId(contextIdFrom(context));
}
