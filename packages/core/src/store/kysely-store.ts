import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import { systemError, userError } from '../errors.js';
import type { Usage } from '../models/usage.js';
import type {
  ApiKeysTable,
  ContextsTable,
  Database,
  JobsTable,
  LearnedContextsTable,
  ModelCallsTable,
  RunsTable,
  TenantsTable,
} from './schema.js';
import { isForeignKeyViolation, isUniqueViolation, toStoreError } from './store-errors.js';
import type { StoreLocation } from './store-errors.js';
import type {
  ApiKeyRecord,
  ApiKeyRepository,
  CompleteRunInput,
  ContextRecord,
  ContextRepository,
  JobRecord,
  JobRepository,
  LearnedContextRecord,
  LearnedContextRepository,
  ModelCallRecord,
  PrefixWarmUpRecord,
  RunError,
  RunRecord,
  RunRepository,
  StartRunInput,
  Store,
  TenantRecord,
  TenantRepository,
} from './types.js';

export interface KyselyStoreOptions {
  db: Kysely<Database>;
  kind: Store['kind'];
  location: StoreLocation;
  /** Releases the connection(s) behind `db`; called once, by the first `close()`. */
  release: () => Promise<void>;
}

/** The store over Kysely: the same queries serve SQLite and PostgreSQL. */
export function createKyselyStore(options: KyselyStoreOptions): Store {
  const { db, location } = options;

  let closing: Promise<void> | undefined;

  /** Every public operation goes through here, so callers only ever see SleeptimeErrors. */
  async function guard<T>(operation: string, action: () => Promise<T>): Promise<T> {
    if (closing !== undefined) {
      throw systemError('store_closed', `store: ${operation} called after close() on ${location.description}`);
    }
    try {
      return await action();
    } catch (error) {
      throw toStoreError(error, operation, location);
    }
  }

  const contexts: ContextRepository = {
    put: (input) =>
      guard('contexts.put', async () => {
        const metadata = input.metadata === undefined ? undefined : serializeObject(input.metadata, 'metadata');
        const now = new Date().toISOString();
        // One upsert statement: the row lock makes concurrent puts queue up, so each one gets its own
        // version and none is lost, including when several create the same new id at once.
        const row = await db
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
        return toContextRecord(row);
      }),

    append: (input) =>
      guard('contexts.append', async () => {
        const now = new Date().toISOString();
        const row = await db
          .insertInto('contexts')
          .values({ id: input.id, text: input.text, version: 1, metadata: '{}', created_at: now, updated_at: now })
          .onConflict((conflict) =>
            conflict.column('id').doUpdateSet((eb) => ({
              // Concatenated by the database under the row lock: no append is lost to a race.
              text: sql<string>`contexts.text || ${input.separator} || excluded.text`,
              version: eb('contexts.version', '+', 1),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        return toContextRecord(row);
      }),

    get: (id) =>
      guard('contexts.get', async () => {
        const row = await db.selectFrom('contexts').selectAll().where('id', '=', id).executeTakeFirst();
        return row === undefined ? undefined : toContextRecord(row);
      }),

    list: (listOptions) =>
      guard('contexts.list', async () => {
        if (listOptions === undefined) {
          const rows = await db
            .selectFrom('contexts')
            .selectAll()
            .orderBy('created_at', 'desc')
            .orderBy('id', 'asc')
            .execute();
          return rows.map(toContextRecord);
        }
        const { prefix, after, limit } = listOptions;
        let query = db.selectFrom('contexts').selectAll().orderBy('id', 'asc');
        // substr rather than LIKE: ids may hold '_', a LIKE wildcard; substr means the same on both databases.
        if (prefix !== undefined && prefix !== '') {
          query = query.where(sql<string>`substr(id, 1, ${prefix.length})`, '=', prefix);
        }
        if (after !== undefined) query = query.where('id', '>', after);
        if (limit !== undefined) {
          if (!Number.isSafeInteger(limit) || limit < 0) {
            throw userError('invalid_limit', `limit must be a whole number >= 0, got ${limit}`);
          }
          query = query.limit(limit);
        }
        return (await query.execute()).map(toContextRecord);
      }),

    delete: (id) =>
      guard('contexts.delete', async () => {
        // Learned contexts, runs and model calls go with it through ON DELETE CASCADE.
        const result = await db.deleteFrom('contexts').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),
  };

  const learned: LearnedContextRepository = {
    latest: (contextId) =>
      guard('learned.latest', async () => {
        const row = await db
          .selectFrom('learned_contexts')
          .selectAll()
          .where('context_id', '=', contextId)
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
        return row === undefined ? undefined : toLearnedContextRecord(row);
      }),

    history: (contextId) =>
      guard('learned.history', async () => {
        const rows = await db
          .selectFrom('learned_contexts')
          .selectAll()
          .where('context_id', '=', contextId)
          .orderBy('id', 'asc')
          .execute();
        return rows.map(toLearnedContextRecord);
      }),
  };

  /** Reads a run that must exist and still be running, for complete and fail. */
  async function runningRun(runId: string): Promise<Selectable<RunsTable>> {
    const row = await db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (row === undefined) throw systemError('run_not_found', `run '${runId}' does not exist`);
    if (row.status !== 'running') throw runNotRunning(runId, row.status);
    return row;
  }

  /** A running job still held by `owner`. */
  const heldBy = (executor: Kysely<Database>, jobId: string, owner: string) =>
    executor.selectFrom('jobs').selectAll().where('id', '=', jobId).where('status', '=', 'running').where('lease_owner', '=', owner);

  /**
   * Ends `owner`'s hold on a running job with an outcome: the lease is cleared and the attempt's run
   * recorded. Undefined when `owner` no longer holds the job (its lease was taken over).
   */
  async function settleHeldJob(
    executor: Kysely<Database>,
    held: { jobId: string; owner: string; runId?: string | null },
    outcome: { status: 'succeeded' | 'pending' | 'failed'; runAfter?: string; error: RunError | null; now: string },
  ): Promise<JobRecord | undefined> {
    const row = await executor
      .updateTable('jobs')
      .set({
        status: outcome.status,
        ...(outcome.runAfter === undefined ? {} : { run_after: outcome.runAfter }),
        lease_owner: null,
        lease_expires_at: null,
        ...(held.runId === undefined ? {} : { run_id: held.runId }),
        error_code: outcome.error?.code ?? null,
        error_message: outcome.error?.message ?? null,
        updated_at: outcome.now,
      })
      .where('id', '=', held.jobId)
      .where('status', '=', 'running')
      .where('lease_owner', '=', held.owner)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toJobRecord(row);
  }

  const runs: RunRepository = {
    start: (input: StartRunInput) =>
      guard('runs.start', async () => {
        const row = {
          id: input.id ?? randomUUID(),
          context_id: input.contextId,
          kind: input.kind,
          status: 'running' as const,
          model: input.model,
          settings: serializeObject(input.settings, 'settings'),
          source_version: input.sourceVersion,
          question: input.question ?? null,
          answer: null,
          final: null,
          fresh: null,
          learned_context_id: null,
          input_tokens: 0,
          output_tokens: 0,
          reasoning_tokens: 0,
          error_code: null,
          error_message: null,
          started_at: new Date().toISOString(),
          finished_at: null,
          duration_ms: null,
        };
        try {
          // The foreign key checks that the context exists, in the same statement as the insert.
          const inserted = await db.insertInto('runs').values(row).returningAll().executeTakeFirstOrThrow();
          return toRunRecord(inserted);
        } catch (error) {
          if (isUniqueViolation(error)) throw systemError('run_already_exists', `run '${row.id}' already exists`, error);
          throw asContextNotFound(error, input.contextId);
        }
      }),

    recordCall: (call: ModelCallRecord) =>
      guard('runs.recordCall', async () => {
        checkUsage(call.usage, `model call of run '${call.runId}'`);
        try {
          await db
            .insertInto('model_calls')
            .values({
              run_id: call.runId,
              phase: call.phase,
              branch: call.branch,
              step: call.step,
              input_tokens: call.usage.inputTokens,
              output_tokens: call.usage.outputTokens,
              reasoning_tokens: call.usage.reasoningTokens,
              raw_usage: call.rawUsage === undefined ? null : JSON.stringify(call.rawUsage),
              finish_reason: call.finishReason,
              duration_ms: Math.round(call.durationMs),
            })
            .execute();
        } catch (error) {
          if (isForeignKeyViolation(error)) throw systemError('run_not_found', `run '${call.runId}' does not exist`, error);
          throw error;
        }
      }),

    complete: (runId: string, input: CompleteRunInput) =>
      guard('runs.complete', async () => {
        checkUsage(input.usage, `run '${runId}'`);
        const started = await runningRun(runId);
        const finishedAt = new Date();
        return await db.transaction().execute(async (transaction) => {
          // The status change comes first: it takes the write lock, and the `status = 'running'`
          // condition settles a race with another complete/fail. A failure below rolls it back.
          const finished = await transaction
            .updateTable('runs')
            .set({
              status: 'succeeded',
              ...usageColumns(input.usage),
              answer: input.answer ?? null,
              final: input.final ?? null,
              fresh: input.fresh === undefined ? null : input.fresh ? 1 : 0,
              learned_context_id: input.learnedContextId ?? null,
              prefix_cache_hit: input.prefixCacheHit === undefined || input.prefixCacheHit === null ? null : input.prefixCacheHit ? 1 : 0,
              time_to_first_token_ms:
                input.timeToFirstTokenMs === undefined || input.timeToFirstTokenMs === null ? null : Math.max(0, Math.round(input.timeToFirstTokenMs)),
              finished_at: finishedAt.toISOString(),
              duration_ms: elapsedMs(started.started_at, finishedAt),
            })
            .where('id', '=', runId)
            .where('status', '=', 'running')
            .returningAll()
            .executeTakeFirst();
          if (finished === undefined) throw runNotRunning(runId);
          if (input.learned === undefined) return { run: toRunRecord(finished) };
          const fence = input.learned.fence;
          if (fence !== undefined) {
            let leaseQuery = heldBy(transaction, fence.jobId, fence.owner);
            if (options.kind === 'postgres') leaseQuery = leaseQuery.forUpdate();
            if ((await leaseQuery.executeTakeFirst()) === undefined) {
              throw systemError('lease_lost', `The job '${fence.jobId}' is no longer held by this worker (its lease expired and another took it over); nothing was published`);
            }
          }
          if (input.learned.onlyIfCurrent === true) {
            // Read under a row lock (PostgreSQL; SQLite holds the write lock already), so a write
            // cannot slip in between this check and the publish.
            let versionQuery = transaction.selectFrom('contexts').select('version').where('id', '=', finished.context_id);
            if (options.kind === 'postgres') versionQuery = versionQuery.forUpdate();
            const current = await versionQuery.executeTakeFirst();
            const currentVersion = current === undefined ? undefined : Number(current.version);
            if (currentVersion !== input.learned.sourceVersion) {
              throw userError(
                'superseded',
                `The context moved to version ${currentVersion ?? '(deleted)'} while the run read version ${input.learned.sourceVersion}; nothing was published`,
                { sourceVersion: input.learned.sourceVersion, currentVersion: currentVersion ?? null },
              );
            }
          }

          const published = await transaction
            .insertInto('learned_contexts')
            .values({
              context_id: finished.context_id,
              source_version: input.learned.sourceVersion,
              text: input.learned.text,
              run_id: runId,
              created_at: finishedAt.toISOString(),
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          // A sleep run points at what it published.
          const linked = await transaction
            .updateTable('runs')
            .set({ learned_context_id: published.id })
            .where('id', '=', runId)
            .returningAll()
            .executeTakeFirstOrThrow();
          return { run: toRunRecord(linked), learned: toLearnedContextRecord(published) };
        });
      }),

    recordPrefixWarmUp: (runId: string, warmUp: PrefixWarmUpRecord) =>
      guard('runs.recordPrefixWarmUp', async () => {
        const updated = await db
          .updateTable('runs')
          .set({ prefix_warm_up: JSON.stringify(warmUp) })
          .where('id', '=', runId)
          .returningAll()
          .executeTakeFirst();
        if (updated === undefined) throw systemError('run_not_found', `run '${runId}' does not exist`);
        return toRunRecord(updated);
      }),

    fail: (runId: string, error: RunError, usage: Usage) =>
      guard('runs.fail', async () => {
        checkUsage(usage, `run '${runId}'`);
        const started = await runningRun(runId);
        const finishedAt = new Date();
        const failed = await db
          .updateTable('runs')
          .set({
            status: 'failed',
            ...usageColumns(usage),
            error_code: error.code,
            error_message: error.message,
            finished_at: finishedAt.toISOString(),
            duration_ms: elapsedMs(started.started_at, finishedAt),
          })
          .where('id', '=', runId)
          .where('status', '=', 'running')
          .returningAll()
          .executeTakeFirst();
        if (failed === undefined) throw runNotRunning(runId);
        return toRunRecord(failed);
      }),

    get: (runId) =>
      guard('runs.get', async () => {
        const row = await db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst();
        return row === undefined ? undefined : toRunRecord(row);
      }),

    list: (contextId, listOptions) =>
      guard('runs.list', async () => {
        let query = db
          .selectFrom('runs')
          .selectAll()
          .where('context_id', '=', contextId)
          .orderBy('sequence', 'desc');
        if (listOptions?.limit !== undefined) {
          if (!Number.isSafeInteger(listOptions.limit) || listOptions.limit < 0) {
            throw userError('invalid_limit', `limit must be a whole number >= 0, got ${listOptions.limit}`);
          }
          query = query.limit(listOptions.limit);
        }
        return (await query.execute()).map(toRunRecord);
      }),

    calls: (runId) =>
      guard('runs.calls', async () => {
        // A stable order (by branch, then step) although parallel branches record calls interleaved.
        const rows = await db
          .selectFrom('model_calls')
          .selectAll()
          .where('run_id', '=', runId)
          .orderBy('phase', 'asc')
          .orderBy('branch', 'asc')
          .orderBy('step', 'asc')
          .orderBy('id', 'asc')
          .execute();
        return rows.map(toModelCallRecord);
      }),
  };

  const tenants: TenantRepository = {
    create: (input) =>
      guard('tenants.create', async () => {
        try {
          const row = await db
            .insertInto('tenants')
            .values({ id: input.id, name: input.name, created_at: new Date().toISOString() })
            .returningAll()
            .executeTakeFirstOrThrow();
          return toTenantRecord(row);
        } catch (error) {
          if (isUniqueViolation(error)) throw userError('tenant_exists', `a tenant named '${input.name}' already exists`);
          throw error;
        }
      }),
    get: (id) =>
      guard('tenants.get', async () => {
        const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
        return row === undefined ? undefined : toTenantRecord(row);
      }),
    getByName: (name) =>
      guard('tenants.getByName', async () => {
        const row = await db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
        return row === undefined ? undefined : toTenantRecord(row);
      }),
    count: () =>
      guard('tenants.count', async () => {
        const row = await db.selectFrom('tenants').select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
        return Number(row.count);
      }),
  };

  const apiKeys: ApiKeyRepository = {
    create: (input) =>
      guard('apiKeys.create', async () => {
        try {
          const row = await db
            .insertInto('api_keys')
            .values({
              id: input.id,
              tenant_id: input.tenantId,
              key_hash: input.keyHash,
              label: input.label ?? null,
              created_at: new Date().toISOString(),
              revoked_at: null,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          return toApiKeyRecord(row);
        } catch (error) {
          if (isForeignKeyViolation(error)) throw userError('tenant_not_found', `tenant '${input.tenantId}' does not exist`);
          throw error;
        }
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
      guard('apiKeys.revoke', async () => {
        // One statement: of two concurrent revokes, the first time stays.
        const row = await db
          .updateTable('api_keys')
          .set({ revoked_at: sql<string>`coalesce(revoked_at, ${new Date().toISOString()})` })
          .where('id', '=', keyId)
          .returningAll()
          .executeTakeFirst();
        return row === undefined ? undefined : toApiKeyRecord(row);
      }),
    list: (tenantId) =>
      guard('apiKeys.list', async () => {
        const rows = await db
          .selectFrom('api_keys')
          .select(['id', 'tenant_id', 'label', 'created_at', 'revoked_at'])
          .where('tenant_id', '=', tenantId)
          .orderBy('created_at', 'asc')
          .orderBy('id', 'asc')
          .execute();
        return rows.map(toApiKeyRecord);
      }),
  };

  const jobs: JobRepository = {
    enqueue: (input) =>
      guard('jobs.enqueue', async () => {
        const now = (input.now ?? new Date()).toISOString();
        const maxAttempts = input.maxAttempts ?? 3;
        if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
          throw systemError('invalid_job', `maxAttempts must be a whole number >= 1, got ${maxAttempts}`);
        }
        const id = randomUUID();
        try {
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
                  run_after: eb.ref('excluded.run_after'),
                  payload: eb.ref('excluded.payload'),
                  run_id: sql<string | null>`coalesce(jobs.run_id, excluded.run_id)`,
                  updated_at: eb.ref('excluded.updated_at'),
                })),
            )
            .returningAll()
            .executeTakeFirstOrThrow();
          return { job: toJobRecord(row), coalesced: row.id !== id };
        } catch (error) {
          throw asContextNotFound(error, input.contextId);
        }
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
        let candidate = db
          .selectFrom('jobs')
          .select('jobs.id')
          .where(due)
          .where(contextFree)
          .$if(input.jobId !== undefined, (query) => query.where('jobs.id', '=', input.jobId ?? ''))
          .orderBy('jobs.run_after', 'asc')
          .orderBy('jobs.created_at', 'asc')
          .limit(1);
        if (options.kind === 'postgres') candidate = candidate.forUpdate().skipLocked();
        // `due` is checked again on the row being updated: of two claimers that picked the same job,
        // the second finds it running under a live lease and updates nothing.
        const claimed = await db
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
          .returningAll()
          .executeTakeFirst();
        return claimed === undefined ? undefined : toJobRecord(claimed);
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
          const held = await heldBy(transaction, input.jobId, input.owner).executeTakeFirst();
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

    overdue: (input) =>
      guard('jobs.overdue', async () => {
        const now = input.now ?? new Date();
        const nowIso = now.toISOString();
        const pendingBefore = new Date(now.getTime() - Math.max(0, input.pendingGraceMs)).toISOString();
        const rows = await db
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
          .limit(input.limit ?? 100)
          .execute();
        return rows.map(toJobRecord);
      }),

    countTrigger: (input) =>
      guard('jobs.countTrigger', async () => {
        try {
          const row = await db
            .insertInto('trigger_counters')
            .values({ context_id: input.contextId, kind: input.kind, count: 1 })
            .onConflict((conflict) => conflict.columns(['context_id', 'kind']).doUpdateSet({ count: sql<number>`trigger_counters.count + 1` }))
            .returning('count')
            .executeTakeFirstOrThrow();
          return Number(row.count);
        } catch (error) {
          throw asContextNotFound(error, input.contextId);
        }
      }),

    get: (jobId) =>
      guard('jobs.get', async () => {
        const row = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
        return row === undefined ? undefined : toJobRecord(row);
      }),

    findByRunId: (runId) =>
      guard('jobs.findByRunId', async () => {
        const row = await db.selectFrom('jobs').selectAll().where('run_id', '=', runId).executeTakeFirst();
        return row === undefined ? undefined : toJobRecord(row);
      }),

    list: (contextId, options = {}) =>
      guard('jobs.list', async () => {
        const rows = await db
          .selectFrom('jobs')
          .selectAll()
          .where('context_id', '=', contextId)
          .$if(options.status !== undefined, (query) => query.where('status', '=', options.status ?? 'pending'))
          .orderBy('created_at', 'desc')
          .orderBy('id', 'asc')
          .execute();
        return rows.map(toJobRecord);
      }),
  };

  return {
    kind: options.kind,
    jobs,
    contexts,
    learned,
    runs,
    tenants,
    apiKeys,
    close() {
      // Idempotent: pg's Pool throws when ended twice.
      closing ??= options.release();
      return closing;
    },
  };
}

function runNotRunning(runId: string, status?: string) {
  return systemError(
    'run_not_running',
    status === undefined
      ? `run '${runId}' is no longer running`
      : `run '${runId}' is already ${status}; only a running run can be completed or failed`,
  );
}

function elapsedMs(startedAt: string, finishedAt: Date): number {
  return Math.max(0, finishedAt.getTime() - Date.parse(startedAt));
}

function usageColumns(usage: Usage) {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    reasoning_tokens: usage.reasoningTokens,
  };
}

/** Token counts are whole and non-negative; anything else is a bug upstream of the store. */
function checkUsage(usage: Usage, owner: string): void {
  for (const [field, value] of Object.entries(usage)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw systemError('invalid_usage', `usage of ${owner}: ${field} must be a whole number >= 0, got ${value}`);
    }
  }
}

function serializeObject(value: Record<string, unknown>, field: string): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw userError(`invalid_${field}`, `${field} must be a JSON object`);
  }
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw userError(`invalid_${field}`, `${field} cannot be stored as JSON: ${(error as Error).message}`);
  }
}

function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

function toContextRecord(row: Selectable<ContextsTable>): ContextRecord {
  return {
    id: row.id,
    text: row.text,
    version: Number(row.version),
    metadata: parseJson(row.metadata) as Record<string, unknown>,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toLearnedContextRecord(row: Selectable<LearnedContextsTable>): LearnedContextRecord {
  return {
    id: Number(row.id),
    contextId: row.context_id,
    sourceVersion: Number(row.source_version),
    text: row.text,
    runId: row.run_id,
    createdAt: new Date(row.created_at),
  };
}

function toTenantRecord(row: Selectable<TenantsTable>): TenantRecord {
  return { id: row.id, name: row.name, createdAt: new Date(row.created_at) };
}

/** Takes no hash: an ApiKeyRecord never carries one. */
function toApiKeyRecord(row: Omit<Selectable<ApiKeysTable>, 'key_hash'>): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    label: row.label,
    createdAt: new Date(row.created_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

function toRunRecord(row: Selectable<RunsTable>): RunRecord {
  return {
    id: row.id,
    contextId: row.context_id,
    kind: row.kind,
    status: row.status,
    model: row.model,
    settings: parseJson(row.settings) as Record<string, unknown>,
    sourceVersion: Number(row.source_version),
    question: row.question,
    answer: row.answer,
    final: row.final,
    fresh: row.fresh === null ? null : Number(row.fresh) === 1,
    learnedContextId: row.learned_context_id === null ? null : Number(row.learned_context_id),
    usage: {
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      reasoningTokens: Number(row.reasoning_tokens),
    },
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    startedAt: new Date(row.started_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    prefixCacheHit: row.prefix_cache_hit === null ? null : Number(row.prefix_cache_hit) === 1,
    timeToFirstTokenMs: row.time_to_first_token_ms === null ? null : Number(row.time_to_first_token_ms),
    prefixWarmUp: row.prefix_warm_up === null ? null : (parseJson(row.prefix_warm_up) as PrefixWarmUpRecord),
  };
}

function toJobRecord(row: Selectable<JobsTable>): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    contextId: row.context_id,
    coalesceKey: row.coalesce_key,
    payload: parseJson(row.payload) as Record<string, unknown>,
    status: row.status,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAfter: new Date(row.run_after),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at === null ? null : new Date(row.lease_expires_at),
    runId: row.run_id,
    error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toModelCallRecord(row: Selectable<ModelCallsTable>): ModelCallRecord {
  return {
    runId: row.run_id,
    phase: row.phase,
    branch: Number(row.branch),
    step: Number(row.step),
    usage: {
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      reasoningTokens: Number(row.reasoning_tokens),
    },
    rawUsage: row.raw_usage === null ? undefined : parseJson(row.raw_usage),
    finishReason: row.finish_reason,
    durationMs: Number(row.duration_ms),
  };
}

/** A row that references a context failed its foreign key: the context does not exist (or was just deleted). */
function asContextNotFound(error: unknown, contextId: string): unknown {
  return isForeignKeyViolation(error) ? userError('context_not_found', `context '${contextId}' does not exist`, { contextId }) : error;
}
