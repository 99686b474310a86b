/**
 * Bearer API-key authentication for the `/v1` routes: `Authorization: Bearer <key>` must name an
 * active key; the request then sees only that key's tenant (`tenant` and `scope` variables).
 * A missing or malformed header is `missing_api_key`, an unknown or revoked key `invalid_api_key`,
 * both 401 in the API's one error shape.
 */
import type { TenantRecord } from '@sleeptime/core';
import type { MiddlewareHandler } from 'hono';
import { tenantScope, type TenantScope } from '../../tenancy/tenant-scope.js';
import { errorBody } from '../api-errors.js';

export type AuthenticatedEnvironment = { Variables: { tenant: TenantRecord; scope: TenantScope } };

export interface ApiKeyAuthOptions {
  /** The tenant of an active key; undefined for an unknown or revoked one. */
  authenticate(key: string): Promise<TenantRecord | undefined>;
}

export function apiKeyAuth(options: ApiKeyAuthOptions): MiddlewareHandler<AuthenticatedEnvironment> {
  return async (context, next) => {
    const header = context.req.header('authorization');
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) {
      return context.json(errorBody(401, 'missing_api_key', 'Send an API key as "Authorization: Bearer <key>"'), 401);
    }
    const tenant = await options.authenticate(match[1]);
    if (tenant === undefined) return context.json(errorBody(401, 'invalid_api_key', 'The API key is unknown or revoked'), 401);
    context.set('tenant', tenant);
    context.set('scope', tenantScope(tenant));
    await next();
  };
}
