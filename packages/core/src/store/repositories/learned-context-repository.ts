import type { LearnedContextRepository } from '../types.js';
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
  };
}
