import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import { systemError } from '../../errors.js';
import type { Usage } from '../../models/usage.js';
import type { Database, RunsTable } from '../schema.js';
import { contextNotFound, onViolation } from '../store-errors.js';
import type { RunGroupStatistics, RunRepository } from '../types.js';
import { checkLimit } from './check-limit.js';
import { contextSelectionCondition } from './context-selection.js';
import { publishLearnedContext } from './publish-learned-context.js';
import type { RepositoryDeps } from './repository-deps.js';
import { checkUsage, serializeObject, toModelCallRecord, toRunRecord, usageColumns } from './row-mappers.js';
import { takeAll, takeFirst, takeOne } from './take-rows.js';

export function createRunRepository({ db, kind, guard }: RepositoryDeps): RunRepository {
  /** Why a complete or fail changed nothing: the run does not exist, or it has already ended. */
  async function notRunning(executor: Kysely<Database>, runId: string): Promise<Error> {
    const row = await executor.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirst();
    if (row === undefined) return systemError('run_not_found', `run '${runId}' does not exist`);
    return runNotRunning(runId, row.status);
  }

  /**
   * Ends a running run (complete and fail) in one statement: its outcome, usage, end time and the
   * duration from its start, computed by the database so that no read comes first. The
   * `status = 'running'` condition lets only one of two racing complete/fail calls win.
   */
  async function finishRun(
    executor: Kysely<Database>,
    runId: string,
    finishedAt: Date,
    outcome: { status: 'succeeded' | 'failed'; usage: Usage; columns: Updateable<RunsTable> },
  ): Promise<Selectable<RunsTable>> {
    const finished = await executor
      .updateTable('runs')
      .set({
        status: outcome.status,
        ...usageColumns(outcome.usage),
        ...outcome.columns,
        finished_at: finishedAt.toISOString(),
        duration_ms: elapsedMsSince(kind, finishedAt),
      })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .returningAll()
      .executeTakeFirst();
    if (finished === undefined) throw await notRunning(executor, runId);
    return finished;
  }

  return {
    start: (input) =>
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
        // The foreign key checks that the context exists, in the same statement as the insert.
        return onViolation(() => takeOne(db.insertInto('runs').values(row).returningAll(), toRunRecord), {
          unique: (error) => systemError('run_already_exists', `run '${row.id}' already exists`, error),
          foreignKey: () => contextNotFound(input.contextId),
        });
      }),

    recordCall: (call) =>
      guard('runs.recordCall', async () => {
        checkUsage(call.usage, `model call of run '${call.runId}'`);
        const insert = db.insertInto('model_calls').values({
          run_id: call.runId,
          phase: call.phase,
          branch: call.branch,
          step: call.step,
          ...usageColumns(call.usage),
          raw_usage: call.rawUsage === undefined ? null : JSON.stringify(call.rawUsage),
          finish_reason: call.finishReason,
          duration_ms: Math.round(call.durationMs),
        });
        await onViolation(() => insert.execute(), {
          foreignKey: (error) => systemError('run_not_found', `run '${call.runId}' does not exist`, error),
        });
      }),

    complete: (runId, input) =>
      guard('runs.complete', async () => {
        checkUsage(input.usage, `run '${runId}'`);
        const finishedAt = new Date();
        const outcome = {
          status: 'succeeded' as const,
          usage: input.usage,
          columns: {
            answer: input.answer ?? null,
            final: input.final ?? null,
            fresh: input.fresh === undefined ? null : input.fresh ? 1 : 0,
            learned_context_id: input.learnedContextId ?? null,
            prefix_cache_hit: input.prefixCacheHit === undefined || input.prefixCacheHit === null ? null : input.prefixCacheHit ? 1 : 0,
            time_to_first_token_ms:
              input.timeToFirstTokenMs === undefined || input.timeToFirstTokenMs === null ? null : Math.max(0, Math.round(input.timeToFirstTokenMs)),
            finish_reason: input.finishReason ?? null,
            truncated_by: input.truncatedBy ?? null,
          },
        };
        const learned = input.learned;
        // An answer is one statement (an ask's hot path); a publish also writes the learned context.
        if (learned === undefined) return { run: toRunRecord(await finishRun(db, runId, finishedAt, outcome)) };
        return await db.transaction().execute(async (transaction) => {
          // The status change comes first: it takes the write lock, and the `status = 'running'`
          // condition settles a race with another complete/fail. A failure below rolls it back.
          const finished = await finishRun(transaction, runId, finishedAt, outcome);
          return publishLearnedContext(transaction, kind, finished, learned, finishedAt);
        });
      }),

    recordPrefixWarmUp: (runId, warmUp) =>
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

    fail: (runId, error, usage, failOptions) =>
      guard('runs.fail', async () => {
        checkUsage(usage, `run '${runId}'`);
        const failed = await finishRun(db, runId, new Date(), {
          status: 'failed',
          usage,
          columns: { error_code: error.code, error_message: error.message, usage_partial: failOptions?.usagePartial === true ? 1 : 0 },
        });
        return toRunRecord(failed);
      }),

    get: (runId) => guard('runs.get', () => takeFirst(db.selectFrom('runs').selectAll().where('id', '=', runId), toRunRecord)),

    list: (contextId, listOptions) =>
      guard('runs.list', async () => {
        let query = db.selectFrom('runs').selectAll().where('context_id', '=', contextId).orderBy('sequence', 'desc');
        if (listOptions?.limit !== undefined) query = query.limit(checkLimit(listOptions.limit));
        return takeAll(query, toRunRecord);
      }),

    statistics: (selection) =>
      guard('runs.statistics', async () => {
        const condition = contextSelectionCondition(selection);
        if (condition === undefined) return [];
        const withLearned = sql<number>`case when learned_context_id is null then 0 else 1 end`;
        const rows = await db
          .selectFrom('runs')
          .select((eb) => [
            'context_id',
            'kind',
            'status',
            withLearned.as('with_learned'),
            eb.fn.countAll<number | string>().as('runs'),
            eb.fn.sum<number | string>('input_tokens').as('input_tokens'),
            eb.fn.sum<number | string>('output_tokens').as('output_tokens'),
            eb.fn.sum<number | string>('reasoning_tokens').as('reasoning_tokens'),
            eb.fn.sum<number | string | null>('duration_ms').as('duration_ms'),
            eb.fn.count<number | string>('duration_ms').as('timed_runs'),
            eb.fn.sum<number | string | null>('time_to_first_token_ms').as('time_to_first_token_ms'),
            eb.fn.count<number | string>('time_to_first_token_ms').as('first_token_runs'),
            eb.fn.sum<number | string>(sql`case when prefix_cache_hit = 1 then 1 else 0 end`).as('prefix_cache_hits'),
            eb.fn.max('started_at').as('last_started_at'),
            eb.fn.max('finished_at').as('last_finished_at'),
          ])
          .where(condition)
          .groupBy(['context_id', 'kind', 'status', withLearned])
          .orderBy('context_id', 'asc')
          .execute();
        return rows.map(
          (row): RunGroupStatistics => ({
            contextId: row.context_id,
            kind: row.kind,
            status: row.status,
            withLearned: row.kind === 'ask' && Number(row.with_learned) === 1,
            runs: Number(row.runs),
            usage: { inputTokens: Number(row.input_tokens), outputTokens: Number(row.output_tokens), reasoningTokens: Number(row.reasoning_tokens) },
            durationMs: Number(row.duration_ms ?? 0),
            timedRuns: Number(row.timed_runs),
            timeToFirstTokenMs: Number(row.time_to_first_token_ms ?? 0),
            firstTokenRuns: Number(row.first_token_runs),
            prefixCacheHits: Number(row.prefix_cache_hits),
            lastStartedAt: new Date(row.last_started_at),
            lastFinishedAt: row.last_finished_at === null ? null : new Date(row.last_finished_at),
          }),
        );
      }),

    changes: ({ prefix, after, ids = [], limit = 100 }) =>
      guard('runs.changes', async () => {
        checkLimit(limit);
        const watched = [...new Set(ids)];
        if (watched.length > 1000) throw systemError('invalid_option', `At most 1000 watched runs, got ${watched.length}`);
        const underPrefix = contextSelectionCondition({ prefix }) ?? sql<boolean>`1 = 1`;
        // The newest position first: a run added after this read waits for the next call.
        const newest = await db.selectFrom('runs').select((eb) => eb.fn.max('sequence').as('newest')).executeTakeFirst();
        const top = Number(newest?.newest ?? 0);
        let added: Selectable<RunsTable>[];
        let cursor = top;
        if (after === undefined) {
          added = await db.selectFrom('runs').selectAll().where(underPrefix).where('status', '=', 'running').orderBy('sequence', 'asc').limit(limit).execute();
        } else {
          added = await db
            .selectFrom('runs')
            .selectAll()
            .where('sequence', '>', after)
            .where('sequence', '<=', top)
            .where(underPrefix)
            .orderBy('sequence', 'asc')
            .limit(limit)
            .execute();
          // A full page: the rest comes next time, from the last one read.
          if (added.length === limit) cursor = Number(added.at(-1)?.sequence ?? top);
        }
        const seen = new Set(added.map((row) => row.id));
        const rest = watched.filter((id) => !seen.has(id));
        const current = rest.length === 0 ? [] : await db.selectFrom('runs').selectAll().where('id', 'in', rest).where(underPrefix).execute();
        return { runs: [...added, ...current].map(toRunRecord), cursor };
      }),

    calls: (runId) =>
      guard('runs.calls', () =>
        takeAll(
          // A stable order (by branch, then step) although parallel branches record calls interleaved.
          db
            .selectFrom('model_calls')
            .selectAll()
            .where('run_id', '=', runId)
            .orderBy('phase', 'asc')
            .orderBy('branch', 'asc')
            .orderBy('step', 'asc')
            .orderBy('id', 'asc'),
          toModelCallRecord,
        ),
      ),
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

/**
 * Milliseconds from the run's `started_at` to `finishedAt`, at least 0, as SQL. Both are ISO-8601
 * UTC text with milliseconds; SQLite's julianday keeps well under a millisecond of precision.
 */
function elapsedMsSince(kind: RepositoryDeps['kind'], finishedAt: Date) {
  const finished = finishedAt.toISOString();
  return kind === 'sqlite'
    ? sql<number>`max(0, cast(round((julianday(${finished}) - julianday(started_at)) * 86400000) as integer))`
    : sql<number>`greatest(0, round(extract(epoch from (cast(${finished} as timestamptz) - cast(started_at as timestamptz))) * 1000))::bigint`;
}
