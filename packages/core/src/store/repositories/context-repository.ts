import { sql, type Kysely } from 'kysely';
import { systemError } from '../../errors.js';
import { contextTooLarge } from '../store-errors.js';
import type { Database } from '../schema.js';
import type { ContextRepository } from '../types.js';
import { checkLimit } from './check-limit.js';
import { withContextQuota } from './context-quota.js';
import type { RepositoryDeps } from './repository-deps.js';
import { serializeObject, toContextRecord } from './row-mappers.js';
import { takeAll, takeFirst } from './take-rows.js';

export function createContextRepository({ db, kind, guard }: RepositoryDeps): ContextRepository {
  return {
    put: (input) =>
      guard('contexts.put', async () => {
        // A put replaces the text, so its own size is the size it leaves.
        const bytes = Buffer.byteLength(input.text, 'utf8');
        if (input.maxBytes !== undefined && bytes > input.maxBytes) throw contextTooLarge(input.maxBytes, bytes);
        const metadata = input.metadata === undefined ? undefined : serializeObject(input.metadata, 'metadata');
        const now = new Date().toISOString();
        // One upsert statement: the row lock makes concurrent puts queue up, so each one gets its own
        // version and none is lost, including when several create the same new id at once.
        const upsert = (executor: Kysely<Database>) =>
          executor
            .insertInto('contexts')
            .values({
              id: input.id,
              text: input.text,
              version: 1,
              metadata: metadata ?? '{}',
              created_at: now,
              updated_at: now,
            })
            .onConflict((conflict) =>
              conflict.column('id').doUpdateSet((eb) => ({
                text: eb.ref('excluded.text'),
                version: eb('contexts.version', '+', 1),
                updated_at: eb.ref('excluded.updated_at'),
                ...(metadata === undefined ? {} : { metadata: eb.ref('excluded.metadata') }),
              })),
            )
            .returningAll()
            .executeTakeFirstOrThrow();
        const { quota } = input;
        // A put replaces the text: it grows the total by its size less the text it replaces.
        if (quota === undefined) return toContextRecord(await upsert(db));
        return toContextRecord(await withContextQuota(db, kind, quota, input.id, (target) => bytes - (target.exists ? target.bytes : 0), upsert));
      }),

    append: (input) =>
      guard('contexts.append', async () => {
        const { maxBytes } = input;
        const textBytes = Buffer.byteLength(input.text, 'utf8');
        // A new context holds the text alone; an existing one gains the separator too.
        const addedBytes = Buffer.byteLength(input.separator, 'utf8') + textBytes;
        if (maxBytes !== undefined && textBytes > maxBytes) throw contextTooLarge(maxBytes, textBytes);
        const now = new Date().toISOString();
        const appendOn = async (executor: Kysely<Database>) => {
          const row = await executor
            .insertInto('contexts')
            .values({ id: input.id, text: input.text, version: 1, metadata: '{}', created_at: now, updated_at: now })
            .onConflict((conflict) => {
              const update = conflict.column('id').doUpdateSet((eb) => ({
                // Concatenated by the database under the row lock: no append is lost to a race.
                text: sql<string>`contexts.text || ${input.separator} || excluded.text`,
                version: eb('contexts.version', '+', 1),
                updated_at: eb.ref('excluded.updated_at'),
              }));
              // Checked under the same row lock as the write, so racing appends cannot both pass; a
              // refused update returns no row. octet_length is UTF-8 bytes on both databases.
              return maxBytes === undefined
                ? update
                : update.where(sql<boolean>`octet_length(contexts.text) + CAST(${addedBytes} AS BIGINT) <= CAST(${maxBytes} AS BIGINT)`);
            })
            .returningAll()
            .executeTakeFirst();
          if (row !== undefined) return toContextRecord(row);
          if (maxBytes === undefined) throw systemError('store_failed', 'store: contexts.append wrote no row');
          // Read after the refusal only to say how large it would have been; nothing was written.
          const current = await executor.selectFrom('contexts').select(sql<number>`octet_length(text)`.as('bytes')).where('id', '=', input.id).executeTakeFirst();
          throw contextTooLarge(maxBytes, Number(current?.bytes ?? 0) + addedBytes);
        };
        const { quota } = input;
        if (quota === undefined) return appendOn(db);
        return withContextQuota(db, kind, quota, input.id, (target) => (target.exists ? addedBytes : textBytes), appendOn);
      }),

    get: (id) => guard('contexts.get', () => takeFirst(db.selectFrom('contexts').selectAll().where('id', '=', id), toContextRecord)),

    list: (listOptions) =>
      guard('contexts.list', async () => {
        if (listOptions === undefined) {
          return takeAll(db.selectFrom('contexts').selectAll().orderBy('created_at', 'desc').orderBy('id', 'asc'), toContextRecord);
        }
        const { prefix, after, limit, contains } = listOptions;
        let query = db.selectFrom('contexts').selectAll().orderBy('id', 'asc');
        // substr rather than LIKE: ids may hold '_', a LIKE wildcard; substr means the same on both databases.
        if (prefix !== undefined && prefix !== '') {
          query = query.where(sql<string>`substr(id, 1, ${prefix.length})`, '=', prefix);
        }
        if (contains !== undefined && contains !== '') {
          // Found by position (instr, strpos) rather than LIKE, for the same reason; ids are ASCII, so lower() folds their case on both.
          const rest = sql`lower(substr(id, ${(prefix?.length ?? 0) + 1}))`;
          const needle = contains.toLowerCase();
          query = query.where(kind === 'sqlite' ? sql<boolean>`instr(${rest}, ${needle}) > 0` : sql<boolean>`strpos(${rest}, ${needle}) > 0`);
        }
        if (after !== undefined) query = query.where('id', '>', after);
        if (limit !== undefined) query = query.limit(checkLimit(limit));
        return takeAll(query, toContextRecord);
      }),

    delete: (id) =>
      guard('contexts.delete', async () => {
        // Learned contexts, runs and model calls go with it through ON DELETE CASCADE.
        const result = await db.deleteFrom('contexts').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),
  };
}
