/**
 * The SQL condition of a `ContextSelection` on a `context_id` column. A prefix is compared with
 * substr, not LIKE (ids may hold '_', a LIKE wildcard) and not as a range (PostgreSQL's collations
 * need not order '.' just before '/'): the same meaning on both databases.
 */
import { sql, type RawBuilder } from 'kysely';
import { userError } from '../../errors.js';
import type { ContextSelection } from '../types.js';

/** Most ids one statement may list (SQLite allows 32,766 parameters; a page of a list is far fewer). */
export const maxSelectedContextIds = 1000;

/** The condition, or undefined when the selection is an empty list of ids (nothing to read). */
export function contextSelectionCondition(selection: ContextSelection, column = 'context_id'): RawBuilder<boolean> | undefined {
  const ref = sql.ref(column);
  if ('prefix' in selection) {
    if (typeof selection.prefix !== 'string') throw userError('invalid_option', 'prefix must be a string');
    return selection.prefix === '' ? sql<boolean>`1 = 1` : sql<boolean>`substr(${ref}, 1, ${selection.prefix.length}) = ${selection.prefix}`;
  }
  const ids = [...selection.contextIds];
  if (ids.length > maxSelectedContextIds) throw userError('invalid_option', `At most ${maxSelectedContextIds} context ids at once, got ${ids.length}`);
  return ids.length === 0 ? undefined : sql<boolean>`${ref} in (${sql.join(ids)})`;
}
