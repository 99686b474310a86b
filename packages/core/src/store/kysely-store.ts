import type { Kysely } from 'kysely';
import { createApiKeyRepository } from './repositories/api-key-repository.js';
import { createContextRepository } from './repositories/context-repository.js';
import { createJobRepository } from './repositories/job-repository.js';
import { createLearnedContextRepository } from './repositories/learned-context-repository.js';
import type { RepositoryDeps } from './repositories/repository-deps.js';
import { createRunRepository } from './repositories/run-repository.js';
import { createSleepTokenRepository } from './repositories/sleep-token-repository.js';
import { createTenantRepository } from './repositories/tenant-repository.js';
import type { Database } from './schema.js';
import type { StoreLocation } from './store-errors.js';
import { createStoreGuard } from './store-guard.js';
import type { Store } from './types.js';

export interface KyselyStoreOptions {
  db: Kysely<Database>;
  kind: Store['kind'];
  location: StoreLocation;
  /** Releases the connection(s) behind `db`; called once, by the first `close()`. */
  release: () => Promise<void>;
}

/** The store over Kysely: the same queries serve SQLite and PostgreSQL. */
export function createKyselyStore(options: KyselyStoreOptions): Store {
  const { guard, close } = createStoreGuard(options.location, options.release);
  const deps: RepositoryDeps = { db: options.db, kind: options.kind, guard };
  return {
    kind: options.kind,
    jobs: createJobRepository(deps),
    contexts: createContextRepository(deps),
    learned: createLearnedContextRepository(deps),
    runs: createRunRepository(deps),
    tenants: createTenantRepository(deps),
    apiKeys: createApiKeyRepository(deps),
    sleepTokens: createSleepTokenRepository(deps),
    close,
  };
}
