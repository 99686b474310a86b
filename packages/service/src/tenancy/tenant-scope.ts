/**
 * Tenancy of contexts: a tenant's context `x` is stored as `<tenant id>.<x>`. Ids on the wire never
 * carry the prefix; anything outside a tenant's prefix is answered 404 (never 403), so ids of other
 * tenants cannot be probed.
 */
import type { TenantRecord } from '@sleeptime/core';

export interface TenantScope {
  readonly tenant: TenantRecord;
  /** Every stored id of this tenant starts with it. */
  readonly prefix: string;
  /** The stored id of the tenant's context `contextId`. */
  storedId(contextId: string): string;
  /** The wire id of a stored id of this tenant. */
  wireId(storedId: string): string;
  owns(storedId: string): boolean;
  /** A message naming stored ids (the engine's errors), with this tenant's prefix taken out. */
  wireMessage(message: string): string;
}

export function tenantScope(tenant: TenantRecord): TenantScope {
  const prefix = `${tenant.id}.`;
  return {
    tenant,
    prefix,
    storedId: (contextId) => `${prefix}${contextId}`,
    wireId: (storedId) => storedId.slice(prefix.length),
    owns: (storedId) => storedId.startsWith(prefix),
    wireMessage: (message) => message.split(prefix).join(''),
  };
}
