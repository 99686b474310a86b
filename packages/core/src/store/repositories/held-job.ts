import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { JobRecord, RunError } from '../types.js';
import { toJobRecord } from './row-mappers.js';
import { takeFirst } from './take-rows.js';

/** A running job still held by `owner`. */
export const selectHeldJob = (executor: Kysely<Database>, jobId: string, owner: string) =>
  executor.selectFrom('jobs').selectAll().where('id', '=', jobId).where('status', '=', 'running').where('lease_owner', '=', owner);

/**
 * Ends `owner`'s hold on a running job with an outcome: the lease is cleared and the attempt's run
 * recorded. Undefined when `owner` no longer holds the job (its lease was taken over).
 */
export async function settleHeldJob(
  executor: Kysely<Database>,
  held: { jobId: string; owner: string; runId?: string | null },
  outcome: { status: 'succeeded' | 'pending' | 'failed'; runAfter?: string; error: RunError | null; now: string },
): Promise<JobRecord | undefined> {
  const settle = executor
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
    .returningAll();
  return takeFirst(settle, toJobRecord);
}
