import { sql } from 'kysely';
import { systemError } from '../../errors.js';
import type { SleepTokenRepository } from '../types.js';
import type { RepositoryDeps } from './repository-deps.js';
import { takeFirst, takeOne } from './take-rows.js';

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

function checkKey(input: { tenant: string; day: string }): void {
  if (input.tenant === '') throw systemError('invalid_usage', 'sleep tokens: the tenant must not be empty');
  if (!dayPattern.test(input.day)) throw systemError('invalid_usage', `sleep tokens: the day must be YYYY-MM-DD, got "${input.day}"`);
}

export function createSleepTokenRepository({ db, guard }: RepositoryDeps): SleepTokenRepository {
  return {
    add: (input) =>
      guard('sleepTokens.add', () => {
        checkKey(input);
        if (!Number.isSafeInteger(input.tokens) || input.tokens < 0) {
          throw systemError('invalid_usage', `sleep tokens: tokens must be a whole number >= 0, got ${input.tokens}`);
        }
        // One upsert: concurrent sleeps of a tenant (several workers, several machines) all count.
        const increment = db
          .insertInto('sleep_token_usage')
          .values({ tenant: input.tenant, day: input.day, tokens: input.tokens })
          .onConflict((conflict) => conflict.columns(['tenant', 'day']).doUpdateSet({ tokens: sql<number>`sleep_token_usage.tokens + excluded.tokens` }))
          .returning('tokens');
        return takeOne(increment, (row) => Number(row.tokens));
      }),

    get: (input) =>
      guard('sleepTokens.get', async () => {
        checkKey(input);
        const query = db.selectFrom('sleep_token_usage').select('tokens').where('tenant', '=', input.tenant).where('day', '=', input.day);
        return (await takeFirst(query, (row) => Number(row.tokens))) ?? 0;
      }),
  };
}
