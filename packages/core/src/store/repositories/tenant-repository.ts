import { userError } from '../../errors.js';
import { onViolation } from '../store-errors.js';
import type { TenantRepository } from '../types.js';
import type { RepositoryDeps } from './repository-deps.js';
import { toTenantRecord } from './row-mappers.js';
import { takeFirst, takeOne } from './take-rows.js';

export function createTenantRepository({ db, guard }: RepositoryDeps): TenantRepository {
  const tenantBy = (column: 'id' | 'name', value: string) =>
    takeFirst(db.selectFrom('tenants').selectAll().where(column, '=', value), toTenantRecord);
  return {
    create: (input) =>
      guard('tenants.create', () => {
        const insert = db.insertInto('tenants').values({ id: input.id, name: input.name, created_at: new Date().toISOString() });
        return onViolation(() => takeOne(insert.returningAll(), toTenantRecord), {
          unique: () => userError('tenant_exists', `a tenant named '${input.name}' already exists`),
        });
      }),
    get: (id) => guard('tenants.get', () => tenantBy('id', id)),
    getByName: (name) => guard('tenants.getByName', () => tenantBy('name', name)),
    count: () =>
      guard('tenants.count', async () => {
        const row = await db.selectFrom('tenants').select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
        return Number(row.count);
      }),
  };
}
