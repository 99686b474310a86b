import { createHash, randomBytes } from 'node:crypto';
import type { Store, TenantRecord } from '@sleeptime/core';

/** Prefix of every key this service issues, so a leaked key is recognisable in logs and scanners. */
export const apiKeyPrefix = 'sk-sleeptime-';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Tenant ids hold no '.', so `<tenant id>.<context id>` splits without ambiguity. */
function newTenantId(): string {
  return `t${randomBytes(8).toString('hex')}`;
}

export interface IssuedApiKey {
  tenant: TenantRecord;
  keyId: string;
  /** The key itself: shown once, never stored. */
  key: string;
}

/** Issues a new key (32 random bytes) for a tenant, creating the tenant if it does not exist. */
export async function issueApiKey(store: Store, options: { tenantName: string; label?: string }): Promise<IssuedApiKey> {
  const tenant =
    (await store.tenants.getByName(options.tenantName)) ?? (await store.tenants.create({ id: newTenantId(), name: options.tenantName }));
  const key = `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
  const keyId = `k${randomBytes(8).toString('hex')}`;
  await store.apiKeys.create({ id: keyId, tenantId: tenant.id, keyHash: hashApiKey(key), ...(options.label === undefined ? {} : { label: options.label }) });
  return { tenant, keyId, key };
}

/** First start: a store with no tenant gets one (`default`) and a key, which the caller prints once. */
export async function bootstrapApiKey(store: Store): Promise<IssuedApiKey | undefined> {
  if ((await store.tenants.count()) > 0) return undefined;
  return issueApiKey(store, { tenantName: 'default', label: 'bootstrap' });
}
