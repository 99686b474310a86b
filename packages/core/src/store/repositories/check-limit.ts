import { userError } from '../../errors.js';

/** A list's `limit` comes from users (CLI, HTTP): a bad one is their error, not a failed query. */
export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw userError('invalid_limit', `limit must be a whole number >= 0, got ${limit}`);
  }
  return limit;
}
