import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store, StoreConfig } from './types.js';

export type * from './types.js';
export { openPostgresStore, describePostgresUrl } from './postgres.js';
export { openSqliteStore, sqliteFileName } from './sqlite.js';
export type { StoreErrorCode } from './store-errors.js';
export { tenantPrefixOf } from './tenant-prefix.js';

export const defaultDataDir = './.sleeptime';

/** Opens the configured store and applies pending migrations before returning it. */
export async function openStore(config: StoreConfig): Promise<Store> {
  return config.kind === 'postgres' ? openPostgresStore(config.url) : openSqliteStore(config.dataDir);
}

/**
 * Chooses the store from CLI options and the environment: a database URL (option, then
 * SLEEPTIME_DATABASE_URL) selects PostgreSQL; otherwise SQLite in the data folder (option, then
 * SLEEPTIME_DATA_DIR, then ./.sleeptime). `env` defaults to process.env; empty strings count as unset.
 */
export function storeConfigFrom(options: {
  dataDir?: string;
  databaseUrl?: string;
  env?: Record<string, string | undefined>;
}): StoreConfig {
  const env = options.env ?? process.env;
  const url = nonEmpty(options.databaseUrl) ?? nonEmpty(env.SLEEPTIME_DATABASE_URL);
  if (url !== undefined) return { kind: 'postgres', url };
  return { kind: 'sqlite', dataDir: nonEmpty(options.dataDir) ?? nonEmpty(env.SLEEPTIME_DATA_DIR) ?? defaultDataDir };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
