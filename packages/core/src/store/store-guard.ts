import { systemError } from '../errors.js';
import { toStoreError } from './store-errors.js';
import type { StoreLocation } from './store-errors.js';

/** Runs one public store operation: see createStoreGuard. */
export type StoreGuard = <T>(operation: string, action: () => Promise<T>) => Promise<T>;

/**
 * The guard every public operation goes through, so callers only ever see SleeptimeErrors, and the
 * close after which it turns operations away. `release` runs once, on the first close.
 */
export function createStoreGuard(
  location: StoreLocation,
  release: () => Promise<void>,
): { guard: StoreGuard; close: () => Promise<void> } {
  let closing: Promise<void> | undefined;

  const guard: StoreGuard = async (operation, action) => {
    if (closing !== undefined) {
      throw systemError('store_closed', `store: ${operation} called after close() on ${location.description}`);
    }
    try {
      return await action();
    } catch (error) {
      throw toStoreError(error, operation, location);
    }
  };

  const close = () => {
    // Idempotent: pg's Pool throws when ended twice.
    closing ??= release();
    return closing;
  };

  return { guard, close };
}
