/** Opaque paging cursors: the last context id of a page, base64url-encoded. */
import { ApiError } from './api-errors.js';
import { contextIdParameter } from './api-schemas.js';

export function encodeCursor(contextId: string): string {
  return Buffer.from(contextId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!contextIdParameter.safeParse(id).success) throw new ApiError(400, 'invalid_cursor', 'The cursor is not one this API returned');
  return id;
}
