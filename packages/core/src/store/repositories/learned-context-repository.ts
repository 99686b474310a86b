import type { LearnedContextRepository } from '../types.js';
import { contextSelectionCondition } from './context-selection.js';
import type { RepositoryDeps } from './repository-deps.js';
import { toLearnedContextRecord } from './row-mappers.js';
import { takeAll, takeFirst } from './take-rows.js';

/** Reads only: learned contexts are written by runs.complete (see publish-learned-context.ts). */
export function createLearnedContextRepository({ db, guard }: RepositoryDeps): LearnedContextRepository {
  const ofContext = (contextId: string) => db.selectFrom('learned_contexts').selectAll().where('context_id', '=', contextId);
  return {
    latest: (contextId) =>
      guard('learned.latest', () => takeFirst(ofContext(contextId).orderBy('id', 'desc').limit(1), toLearnedContextRecord)),
    history: (contextId) => guard('learned.history', () => takeAll(ofContext(contextId).orderBy('id', 'asc'), toLearnedContextRecord)),
    statistics: (selection) =>
      guard('learned.statistics', async () => {
        const condition = contextSelectionCondition(selection);
        if (condition === undefined) return [];
        const counts = await db
          .selectFrom('learned_contexts')
          .select((eb) => ['context_id', eb.fn.countAll<number | string>().as('versions'), eb.fn.max('id').as('latest_id')])
          .where(condition)
          .groupBy('context_id')
          .execute();
        if (counts.length === 0) return [];
        const latest = await db
          .selectFrom('learned_contexts')
          .select(['id', 'source_version', 'created_at'])
          .where(
            'id',
            'in',
            counts.map((row) => Number(row.latest_id)),
          )
          .execute();
        const byId = new Map(latest.map((row) => [Number(row.id), row]));
        return counts.flatMap((row) => {
          const newest = byId.get(Number(row.latest_id));
          // Deleted with its context between the two statements: nothing to report.
          if (newest === undefined) return [];
          return [{ contextId: row.context_id, versions: Number(row.versions), latestSourceVersion: Number(newest.source_version), latestCreatedAt: new Date(newest.created_at) }];
        });
      }),
  };
}
