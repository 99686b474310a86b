import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { systemError } from '../../errors.js';
import { contextNotFound, onViolation } from '../store-errors.js';
import type { JobRepository } from '../types.js';
import { selectHeldJob, settleHeldJob } from './held-job.js';
import type { Database } from '../schema.js';
import { checkLimit } from './check-limit.js';
import { contextSelectionCondition } from './context-selection.js';
import type { RepositoryDeps } from './repository-deps.js';
import { serializeObject, toJobRecord } from './row-mappers.js';
import { takeAll, takeFirst, takeOne } from './take-rows.js';

/** The advisory lock capped claims take turns on (PostgreSQL); any fixed number of our own. */
const tenantCapLockKey = 7_362_001_512;

export function createJobRepository({ db, kind, guard }: RepositoryDeps): JobRepository {
  const jobBy = (column: 'id' | 'run_id', value: string) => takeFirst(db.selectFrom('jobs').selectAll().where(column, '=', value), toJobRecord);
  return {
    enqueue: (input) =>
      guard('jobs.enqueue', async () => {
        const now = (input.now ?? new Date()).toISOString();
        const maxAttempts = input.maxAttempts ?? 3;
        if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
          throw systemError('invalid_job', `maxAttempts must be a whole number >= 1, got ${maxAttempts}`);
        }
        const id = randomUUID();
        return onViolation(async () => {
          const row = await db
            .insertInto('jobs')
            .values({
              id,
              kind: input.kind,
              context_id: input.contextId,
              coalesce_key: input.coalesceKey ?? null,
              payload: serializeObject(input.payload ?? {}, 'payload'),
              status: 'pending',
              attempts: 0,
              max_attempts: maxAttempts,
              run_after: input.runAfter.toISOString(),
              lease_owner: null,
              lease_expires_at: null,
              run_id: input.runId ?? null,
              error_code: null,
              error_message: null,
              created_at: now,
              updated_at: now,
            })
            // The predicate is literal SQL: PostgreSQL matches it against the partial index at plan time.
            .onConflict((conflict) =>
              conflict
                .column('coalesce_key')
                .where(sql<boolean>`status = 'pending'`)
                .doUpdateSet((eb) => ({
                  // A job someone asked for (it has a run id) is not put off by later triggers: a
                  // write after an on-demand sleep does not move it to after the quiet period.
                  run_after: sql<string>`case when jobs.run_id is not null and jobs.run_after < excluded.run_after then jobs.run_after else excluded.run_after end`,
                  // A trigger without options (a write, an ask count) keeps the options asked for; a
                  // new request with options replaces them (the latest request wins).
                  payload: sql<string>`case when excluded.payload = '{}' then jobs.payload else excluded.payload end`,
                  run_id: sql<string | null>`coalesce(jobs.run_id, excluded.run_id)`,
                  updated_at: eb.ref('excluded.updated_at'),
                })),
            )
            .returningAll()
            .executeTakeFirstOrThrow();
          return { job: toJobRecord(row), coalesced: row.id !== id };
        }, { foreignKey: () => contextNotFound(input.contextId) });
      }),

    claim: (input) =>
      guard('jobs.claim', async () => {
        const now = input.now ?? new Date();
        const nowIso = now.toISOString();
        const leaseIso = new Date(now.getTime() + input.leaseMs).toISOString();
        // A crashed worker's job with no attempts left is given up rather than run forever.
        await db
          .updateTable('jobs')
          .set({ status: 'failed', error_code: 'lease_expired', error_message: 'The job\'s lease expired on its last attempt', lease_owner: null, lease_expires_at: null, updated_at: nowIso })
          .where('status', '=', 'running')
          .where('lease_expires_at', '<=', nowIso)
          .whereRef('attempts', '>=', 'max_attempts')
          .execute();
        const due = sql<boolean>`((jobs.status = 'pending' and jobs.run_after <= ${nowIso}) or (jobs.status = 'running' and jobs.lease_expires_at <= ${nowIso}))`;
        // One sleep per context at a time: a context whose job is under a live lease waits.
        const contextFree = sql<boolean>`not exists (select 1 from jobs as other where other.context_id = jobs.context_id and other.id <> jobs.id and other.status = 'running' and other.lease_expires_at > ${nowIso})`;
        // At most `maxPerTenant` running jobs per tenant (the part of the context id before its first
        // '.'; ids without one have no tenant and no cap). Peers share the prefix up to and with the dot.
        const maxPerTenant = input.maxPerTenant;
        if (maxPerTenant !== undefined && (!Number.isSafeInteger(maxPerTenant) || maxPerTenant < 1)) {
          throw systemError('invalid_job', `maxPerTenant must be a whole number >= 1, got ${maxPerTenant}`);
        }
        const dot = kind === 'postgres' ? sql<number>`strpos(jobs.context_id, '.')` : sql<number>`instr(jobs.context_id, '.')`;
        const tenantFree = sql<boolean>`(${dot} = 0 or (select count(*) from jobs as peer where peer.status = 'running' and peer.lease_expires_at > ${nowIso} and peer.id <> jobs.id and substr(peer.context_id, 1, ${dot}) = substr(jobs.context_id, 1, ${dot})) < ${maxPerTenant ?? 0})`;
        let candidate = db
          .selectFrom('jobs')
          .select('jobs.id')
          .where(due)
          .where(contextFree)
          .$if(maxPerTenant !== undefined, (query) => query.where(tenantFree))
          .$if(input.jobId !== undefined, (query) => query.where('jobs.id', '=', input.jobId ?? ''))
          .orderBy('jobs.run_after', 'asc')
          .orderBy('jobs.created_at', 'asc')
          .limit(1);
        if (kind === 'postgres') candidate = candidate.forUpdate().skipLocked();
        // `due` is checked again on the row being updated: of two claimers that picked the same job,
        // the second finds it running under a live lease and updates nothing.
        const claimOn = (executor: Kysely<Database>) =>
          takeFirst(
            executor
              .updateTable('jobs')
              .set((eb) => ({
                status: 'running',
                lease_owner: input.owner,
                lease_expires_at: leaseIso,
                attempts: eb('attempts', '+', 1),
                updated_at: nowIso,
              }))
              .where('id', '=', candidate)
              .where(due)
              .returningAll(),
            toJobRecord,
          );
        if (maxPerTenant === undefined || kind !== 'postgres') return claimOn(db);
        // PostgreSQL: two claimers could each count a tenant's running jobs before the other's claim
        // commits, and both take one. Capped claims take turns instead (a claim is one short statement).
        return db.transaction().execute(async (transaction) => {
          await sql`select pg_advisory_xact_lock(${tenantCapLockKey})`.execute(transaction);
          return claimOn(transaction);
        });
      }),

    heartbeat: (input) =>
      guard('jobs.heartbeat', async () => {
        const now = input.now ?? new Date();
        const result = await db
          .updateTable('jobs')
          .set({
            lease_expires_at: new Date(now.getTime() + input.leaseMs).toISOString(),
            ...(input.runId === undefined ? {} : { run_id: input.runId }),
            updated_at: now.toISOString(),
          })
          .where('id', '=', input.jobId)
          .where('status', '=', 'running')
          .where('lease_owner', '=', input.owner)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    complete: (input) =>
      guard('jobs.complete', async () => {
        const now = (input.now ?? new Date()).toISOString();
        return settleHeldJob(db, input, { status: 'succeeded', error: null, now });
      }),

    fail: (input) =>
      guard('jobs.fail', async () => {
        const now = input.now ?? new Date();
        const nowIso = now.toISOString();
        return await db.transaction().execute(async (transaction) => {
          const held = await selectHeldJob(transaction, input.jobId, input.owner).executeTakeFirst();
          if (held === undefined) return undefined;
          let retry = input.retry !== false && Number(held.attempts) < Number(held.max_attempts);
          if (retry && held.coalesce_key !== null) {
            // Another pending job for the same key will do the same work: no second one.
            const pending = await transaction
              .selectFrom('jobs')
              .select('id')
              .where('coalesce_key', '=', held.coalesce_key)
              .where('status', '=', 'pending')
              .executeTakeFirst();
            if (pending !== undefined) retry = false;
          }
          return settleHeldJob(transaction, input, {
            status: retry ? 'pending' : 'failed',
            ...(retry ? { runAfter: new Date(now.getTime() + Math.max(0, input.retryDelayMs)).toISOString() } : {}),
            error: input.error,
            now: nowIso,
          });
        });
      }),

    defer: (input) =>
      guard('jobs.defer', async () => {
        const nowIso = (input.now ?? new Date()).toISOString();
        return await db.transaction().execute(async (transaction) => {
          const held = await selectHeldJob(transaction, input.jobId, input.owner).executeTakeFirst();
          if (held === undefined) return undefined;
          // A write during this attempt enqueued another pending job for the context (the partial
          // unique index allows one): that one will do the work, and meet the same limit.
          const pending =
            held.coalesce_key === null
              ? undefined
              : await transaction.selectFrom('jobs').select('id').where('coalesce_key', '=', held.coalesce_key).where('status', '=', 'pending').executeTakeFirst();
          if (pending !== undefined) return settleHeldJob(transaction, input, { status: 'failed', error: input.error, now: nowIso });
          const settled = await settleHeldJob(transaction, input, { status: 'pending', runAfter: input.runAfter.toISOString(), error: input.error, now: nowIso });
          if (settled === undefined) return undefined;
          // The claim is given back: waiting out a limit is not an attempt, and must not use up the job's retries.
          return takeFirst(
            transaction
              .updateTable('jobs')
              .set((eb) => ({ attempts: eb('attempts', '-', 1) }))
              .where('id', '=', held.id)
              .where('attempts', '>', 0)
              .returningAll(),
            toJobRecord,
          ).then((updated) => updated ?? settled);
        });
      }),

    overdue: (input) =>
      guard('jobs.overdue', async () => {
        const now = input.now ?? new Date();
        const nowIso = now.toISOString();
        const pendingBefore = new Date(now.getTime() - Math.max(0, input.pendingGraceMs)).toISOString();
        const overdue = db
          .selectFrom('jobs')
          .selectAll()
          .where((eb) =>
            eb.or([
              eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<=', nowIso)]),
              eb.and([eb('status', '=', 'pending'), eb('run_after', '<=', pendingBefore)]),
            ]),
          )
          .orderBy('run_after', 'asc')
          .orderBy('id', 'asc')
          .limit(input.limit ?? 100);
        return takeAll(overdue, toJobRecord);
      }),

    countTrigger: (input) =>
      guard('jobs.countTrigger', () => {
        const increment = db
          .insertInto('trigger_counters')
          .values({ context_id: input.contextId, kind: input.kind, count: 1 })
          .onConflict((conflict) => conflict.columns(['context_id', 'kind']).doUpdateSet({ count: sql<number>`trigger_counters.count + 1` }))
          .returning('count');
        return onViolation(() => takeOne(increment, (row) => Number(row.count)), { foreignKey: () => contextNotFound(input.contextId) });
      }),

    get: (jobId) => guard('jobs.get', () => jobBy('id', jobId)),

    findByRunId: (runId) => guard('jobs.findByRunId', () => jobBy('run_id', runId)),

    list: (contextId, options = {}) =>
      guard('jobs.list', () =>
        takeAll(
          db
            .selectFrom('jobs')
            .selectAll()
            .where('context_id', '=', contextId)
            .$if(options.status !== undefined, (query) => query.where('status', '=', options.status ?? 'pending'))
            .orderBy('created_at', 'desc')
            .orderBy('id', 'asc')
            .$if(options.limit !== undefined, (query) => query.limit(checkLimit(options.limit ?? 0))),
          toJobRecord,
        ),
      ),

    changedSince: ({ prefix, since, limit = 100 }) =>
      guard('jobs.changedSince', () =>
        takeAll(
          db
            .selectFrom('jobs')
            .selectAll()
            // ISO-8601 UTC text with milliseconds: text order is time order.
            .where('updated_at', '>=', since.toISOString())
            .where(contextSelectionCondition({ prefix }) ?? sql<boolean>`1 = 1`)
            .orderBy('updated_at', 'asc')
            .orderBy('id', 'asc')
            .limit(checkLimit(limit)),
          toJobRecord,
        ),
      ),
  };
}
