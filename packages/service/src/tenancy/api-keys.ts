/**
 * Tenants and their API keys: the one door to them (the HTTP API authenticates through it, the CLI
 * manages keys through it). Keys are stored only as SHA-256 hashes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { userError, type ApiKeyRecord, type Store, type TenantRecord } from '@sleeptime/core';

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

/** The tenant of an active key; undefined for an unknown or revoked key. */
export async function authenticateApiKey(store: Store, key: string): Promise<TenantRecord | undefined> {
  return (await store.apiKeys.findActiveByHash(hashApiKey(key)))?.tenant;
}

/** A tenant's keys, revoked ones included, oldest first (never the keys themselves). */
export async function listApiKeys(store: Store, tenantName: string): Promise<{ tenant: TenantRecord; keys: ApiKeyRecord[] }> {
  const tenant = await store.tenants.getByName(tenantName);
  if (tenant === undefined) throw userError('tenant_not_found', `no tenant named "${tenantName}"`, { tenant: tenantName });
  return { tenant, keys: await store.apiKeys.list(tenant.id) };
}

/** Revokes a key (it stops authenticating at once); revoking again keeps the first revocation time. */
export async function revokeApiKey(store: Store, keyId: string): Promise<{ key: ApiKeyRecord; tenant: TenantRecord | undefined }> {
  const key = await store.apiKeys.revoke(keyId);
  if (key === undefined) throw userError('api_key_not_found', `no API key with id "${keyId}" (sleeptime keys list --tenant <name> shows them)`, { keyId });
  return { key, tenant: await store.tenants.get(key.tenantId) };
}

/** Whether the store answers (the readiness probe). */
export async function storeAnswers(store: Store): Promise<boolean> {
  try {
    await store.tenants.count();
    return true;
  } catch {
    return false;
  }
}
