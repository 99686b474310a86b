import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { tenantContextLimit, tenantStorageLimit } from '../store-errors.js';
import type { ContextQuota, Store } from '../types.js';

/**
 * The key space of the per-prefix quota locks (PostgreSQL's two-key advisory locks, apart from the
 * one-key lock of capped job claims); any fixed number of our own.
 */
const quotaLockSpace = 736_200_151;

/** The context being written as the quota sees it: absent, or its current size. */
export type QuotaTarget = { exists: false } | { exists: true; bytes: number };

/**
 * Runs `write` in a transaction after checking `quota` for it: `addedBytes` says by how much the
 * write grows the prefix's text. On PostgreSQL writers of one prefix first take turns on an advisory
 * lock (two transactions could otherwise each count before the other's write commits and both pass);
 * SQLite has one writer per file, and a store's transactions already take turns on its connection.
 * Usage is summed at each write rather than kept in a counter, so deletes free it with no bookkeeping.
 */
export async function withContextQuota<T>(
  db: Kysely<Database>,
  kind: Store['kind'],
  quota: ContextQuota,
  id: string,
  addedBytes: (target: QuotaTarget) => number,
  write: (executor: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (transaction) => {
    if (kind === 'postgres') await sql`select pg_advisory_xact_lock(${quotaLockSpace}, hashtext(${quota.prefix}))`.execute(transaction);
    // substr rather than LIKE: ids may hold '_', a LIKE wildcard. octet_length is UTF-8 bytes on both databases.
    const usage = await transaction
      .selectFrom('contexts')
      .select([sql<string | number>`count(*)`.as('contexts'), sql<string | number>`coalesce(sum(octet_length(text)), 0)`.as('bytes')])
      .where(sql<string>`substr(id, 1, ${quota.prefix.length})`, '=', quota.prefix)
      .executeTakeFirstOrThrow();
    const current = await transaction.selectFrom('contexts').select(sql<string | number>`octet_length(text)`.as('bytes')).where('id', '=', id).executeTakeFirst();
    const target: QuotaTarget = current === undefined ? { exists: false } : { exists: true, bytes: Number(current.bytes) };
    const contexts = Number(usage.contexts);
    if (!target.exists && quota.maxContexts !== undefined && contexts >= quota.maxContexts) throw tenantContextLimit(quota.maxContexts, contexts);
    const added = addedBytes(target);
    const bytes = Number(usage.bytes) + added;
    // Only growth is refused: a tenant over a lowered limit can still shrink its contexts.
    if (quota.maxBytes !== undefined && added > 0 && bytes > quota.maxBytes) throw tenantStorageLimit(quota.maxBytes, bytes);
    return write(transaction);
  });
}
