import type { Selectable, Transaction } from 'kysely';
import { systemError, userError } from '../../errors.js';
import type { Database, RunsTable } from '../schema.js';
import type { CompleteRunInput, LearnedContextRecord, RunRecord, Store } from '../types.js';
import { selectHeldJob } from './held-job.js';
import { toLearnedContextRecord, toRunRecord } from './row-mappers.js';

/**
 * Publishes a sleep run's learned context in the transaction of runs.complete, after the run was
 * marked succeeded there: a lost lease (`lease_lost`) or, with `onlyIfCurrent`, a context that moved
 * on (`superseded`) throws, which rolls the run's completion back with it.
 */
export async function publishLearnedContext(
  transaction: Transaction<Database>,
  kind: Store['kind'],
  finished: Selectable<RunsTable>,
  learned: NonNullable<CompleteRunInput['learned']>,
  publishedAt: Date,
): Promise<{ run: RunRecord; learned: LearnedContextRecord }> {
  const fence = learned.fence;
  if (fence !== undefined) {
    let leaseQuery = selectHeldJob(transaction, fence.jobId, fence.owner);
    if (kind === 'postgres') leaseQuery = leaseQuery.forUpdate();
    if ((await leaseQuery.executeTakeFirst()) === undefined) {
      throw systemError('lease_lost', `The job '${fence.jobId}' is no longer held by this worker (its lease expired and another took it over); nothing was published`);
    }
  }
  if (learned.onlyIfCurrent === true) {
    // Read under a row lock (PostgreSQL; SQLite holds the write lock already), so a write
    // cannot slip in between this check and the publish.
    let versionQuery = transaction.selectFrom('contexts').select('version').where('id', '=', finished.context_id);
    if (kind === 'postgres') versionQuery = versionQuery.forUpdate();
    const current = await versionQuery.executeTakeFirst();
    const currentVersion = current === undefined ? undefined : Number(current.version);
    if (currentVersion !== learned.sourceVersion) {
      throw userError(
        'superseded',
        `The context moved to version ${currentVersion ?? '(deleted)'} while the run read version ${learned.sourceVersion}; nothing was published`,
        { sourceVersion: learned.sourceVersion, currentVersion: currentVersion ?? null },
      );
    }
  }

  const published = await transaction
    .insertInto('learned_contexts')
    .values({
      context_id: finished.context_id,
      source_version: learned.sourceVersion,
      text: learned.text,
      run_id: finished.id,
      created_at: publishedAt.toISOString(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  // A sleep run points at what it published.
  const linked = await transaction
    .updateTable('runs')
    .set({ learned_context_id: published.id })
    .where('id', '=', finished.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { run: toRunRecord(linked), learned: toLearnedContextRecord(published) };
}
