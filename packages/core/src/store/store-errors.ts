import { SleeptimeError, systemError, userError, errorMessage } from '../errors.js';

/** Error codes the store raises besides `context_not_found` (user) and the run state errors. */
export type StoreErrorCode = 'store_unavailable' | 'store_busy' | 'store_failed' | 'store_migration_failed';

interface DriverError {
  code?: unknown;
  message?: unknown;
}

function driverCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as DriverError).code : undefined;
  return typeof code === 'string' ? code : '';
}

/** Driver messages can span lines (PostgreSQL adds DETAIL/HINT); users get one line. */
export function oneLineMessage(error: unknown): string {
  const message = errorMessage(error);
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

const unreachableNodeCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT',
  'ENOTDIR',
  'EACCES',
  'EPERM',
  'EROFS',
  'EEXIST',
  'ENOSPC',
]);

/**
 * Whether the database itself cannot be reached or opened (as opposed to a query being wrong):
 * network and file system errors, PostgreSQL connection/authentication/unknown-database states,
 * and SQLite's can't-open, not-a-database, read-only, I/O and disk-full codes.
 */
export function isUnavailableError(error: unknown): boolean {
  const code = driverCode(error);
  if (unreachableNodeCodes.has(code)) return true;
  // SQLSTATE classes 08 (connection), 28 (authorization), 3D000 (no such database), 57P0x (shutdown), 53300 (too many connections).
  if (/^(08|28)[0-9A-Z]{3}$/.test(code) || code === '3D000' || /^57P0[1-3]$/.test(code) || code === '53300') {
    return true;
  }
  if (/^SQLITE_(CANTOPEN|NOTADB|READONLY|IOERR|FULL|CORRUPT|PERM)/.test(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}

function isBusyError(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(driverCode(error));
}

export function isForeignKeyViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

export function isUniqueViolation(error: unknown): boolean {
  const code = driverCode(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Runs a write whose constraint violations mean something to the caller: a unique or foreign key
 * violation becomes the error made for it; any other failure passes through unchanged.
 */
export async function onViolation<T>(
  write: () => Promise<T>,
  errors: { unique?: (error: unknown) => SleeptimeError; foreignKey?: (error: unknown) => SleeptimeError },
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (errors.unique !== undefined && isUniqueViolation(error)) throw errors.unique(error);
    if (errors.foreignKey !== undefined && isForeignKeyViolation(error)) throw errors.foreignKey(error);
    throw error;
  }
}

/** For a row that references a context and failed its foreign key: the context does not exist (or was just deleted). */
export function contextNotFound(contextId: string): SleeptimeError {
  return userError('context_not_found', `context '${contextId}' does not exist`, { contextId });
}

/** A put or append refused because the context's text would pass `maxBytes` bytes of UTF-8. */
export function contextTooLarge(maxBytes: number, bytes: number): SleeptimeError {
  return userError(
    'context_too_large',
    `The context would be ${bytes} bytes of UTF-8, over the limit of ${maxBytes} bytes; nothing was written`,
    { maxBytes, bytes },
  );
}

/** A write refused because the tenant already has `maxContexts` contexts (a tenant quota). */
export function tenantContextLimit(maxContexts: number, contexts: number): SleeptimeError {
  return userError(
    'tenant_context_limit',
    `The tenant has ${contexts} contexts, the limit is ${maxContexts}; delete one to create another. Nothing was written`,
    { maxContexts, contexts },
  );
}

/** A write refused because the tenant's contexts would hold more than `maxBytes` bytes of UTF-8 in all (a tenant quota). */
export function tenantStorageLimit(maxBytes: number, bytes: number): SleeptimeError {
  return userError(
    'tenant_storage_limit',
    `The tenant's contexts would hold ${bytes} bytes of UTF-8, over the tenant's limit of ${maxBytes} bytes; nothing was written`,
    { maxBytes, bytes },
  );
}

/** Removes secrets (a database password) that a driver might echo back. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length > 0) result = result.split(secret).join('***');
  return result;
}

export interface StoreLocation {
  /** For messages, e.g. `SQLite database /data/sleeptime.db` or `PostgreSQL at db.example:5432/app`. */
  description: string;
  /** Strings that must never appear in an error message. */
  secrets: readonly string[];
}

export function unavailableError(location: StoreLocation, error: unknown): SleeptimeError {
  return systemError(
    'store_unavailable',
    redact(`store unavailable: cannot use ${location.description}: ${oneLineMessage(error)}`, location.secrets),
    error,
  );
}

/** Turns any failure inside a store operation into a system SleeptimeError (or passes one through). */
export function toStoreError(error: unknown, operation: string, location: StoreLocation): SleeptimeError {
  if (SleeptimeError.isInstance(error)) return error;
  if (isUnavailableError(error)) return unavailableError(location, error);
  if (isBusyError(error)) {
    return systemError(
      'store_busy',
      `store busy: ${location.description} stayed locked by another process during ${operation}`,
      error,
    );
  }
  return systemError(
    'store_failed',
    redact(`store: ${operation} failed on ${location.description}: ${oneLineMessage(error)}`, location.secrets),
    error,
  );
}
