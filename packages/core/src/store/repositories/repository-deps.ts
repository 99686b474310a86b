import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { StoreGuard } from '../store-guard.js';
import type { Store } from '../types.js';

/** What every repository is built from; the repositories share one connection and one guard. */
export interface RepositoryDeps {
  db: Kysely<Database>;
  /** PostgreSQL needs explicit row locks (FOR UPDATE) where SQLite's single writer already holds them. */
  kind: Store['kind'];
  guard: StoreGuard;
}
