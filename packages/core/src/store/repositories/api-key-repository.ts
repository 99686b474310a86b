import { sql } from 'kysely';
import { userError } from '../../errors.js';
import { onViolation } from '../store-errors.js';
import type { ApiKeyRepository } from '../types.js';
import type { RepositoryDeps } from './repository-deps.js';
import { toApiKeyRecord, toTenantRecord } from './row-mappers.js';
import { takeAll, takeFirst, takeOne } from './take-rows.js';

export function createApiKeyRepository({ db, guard }: RepositoryDeps): ApiKeyRepository {
  return {
    create: (input) =>
      guard('apiKeys.create', () => {
        const key = {
          id: input.id,
          tenant_id: input.tenantId,
          key_hash: input.keyHash,
          label: input.label ?? null,
          created_at: new Date().toISOString(),
          revoked_at: null,
        };
        return onViolation(() => takeOne(db.insertInto('api_keys').values(key).returningAll(), toApiKeyRecord), {
          foreignKey: () => userError('tenant_not_found', `tenant '${input.tenantId}' does not exist`),
        });
      }),
    findActiveByHash: (keyHash) =>
      guard('apiKeys.findActiveByHash', async () => {
        const row = await db
          .selectFrom('api_keys')
          .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
          .select([
            'api_keys.id as key_id',
            'api_keys.tenant_id as tenant_id',
            'api_keys.label as label',
            'api_keys.created_at as key_created_at',
            'api_keys.revoked_at as revoked_at',
            'tenants.name as tenant_name',
            'tenants.created_at as tenant_created_at',
          ])
          .where('api_keys.key_hash', '=', keyHash)
          .where('api_keys.revoked_at', 'is', null)
          .executeTakeFirst();
        if (row === undefined) return undefined;
        return {
          key: toApiKeyRecord({
            id: row.key_id,
            tenant_id: row.tenant_id,
            label: row.label,
            created_at: row.key_created_at,
            revoked_at: row.revoked_at,
          }),
          tenant: toTenantRecord({ id: row.tenant_id, name: row.tenant_name, created_at: row.tenant_created_at }),
        };
      }),
    revoke: (keyId) =>
      guard('apiKeys.revoke', () =>
        takeFirst(
          // One statement: of two concurrent revokes, the first time stays.
          db
            .updateTable('api_keys')
            .set({ revoked_at: sql<string>`coalesce(revoked_at, ${new Date().toISOString()})` })
            .where('id', '=', keyId)
            .returningAll(),
          toApiKeyRecord,
        ),
      ),
    list: (tenantId) =>
      guard('apiKeys.list', () =>
        takeAll(
          db
            .selectFrom('api_keys')
            .select(['id', 'tenant_id', 'label', 'created_at', 'revoked_at'])
            .where('tenant_id', '=', tenantId)
            .orderBy('created_at', 'asc')
            .orderBy('id', 'asc'),
          toApiKeyRecord,
        ),
      ),
  };
}
