import { Kysely, PostgresDialect, sql } from 'kysely';
import type { CustomTypesConfig, types as PgTypes } from 'pg';
import { userError } from '../errors.js';
import { createKyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';
import { toStoreError } from './store-errors.js';
import type { StoreLocation } from './store-errors.js';
import type { Store } from './types.js';

/** An unreachable host should fail the command, not hang it. */
const connectTimeoutMs = 10_000;

const int8TypeId = 20;

/**
 * pg returns `bigint` (int8) as strings to avoid precision loss; token counts and durations stay far
 * below 2^53, so numbers are safe and match what better-sqlite3 returns.
 */
function typeParsers(types: Pick<typeof PgTypes, 'getTypeParser'>): CustomTypesConfig {
  return {
    getTypeParser: ((typeId: number, format?: 'text' | 'binary') =>
      typeId === int8TypeId && format !== 'binary'
        ? (value: string) => Number(value)
        : types.getTypeParser(typeId, format)) as CustomTypesConfig['getTypeParser'],
  };
}

/**
 * Where a URL points, for messages: `PostgreSQL at host:port/database as user`, never the password.
 * The password is also returned as a secret to scrub from driver messages.
 */
export function describePostgresUrl(url: string): StoreLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { description: 'PostgreSQL (unparseable database URL)', secrets: [url] };
  }
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port || '5432';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
  const user = parsed.username ? ` as ${decodeURIComponent(parsed.username)}` : '';
  const password = parsed.password;
  return {
    description: `PostgreSQL at ${host}:${port}/${database}${user}`,
    secrets: password ? [password, decodeURIComponent(password)] : [],
  };
}

/** Connects a pool to `url` (postgres:// or postgresql://) and brings the schema up to date. */
export async function openPostgresStore(url: string): Promise<Store> {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw userError(
      'invalid_database_url',
      'database URL must start with postgres:// or postgresql:// (from --database-url or SLEEPTIME_DATABASE_URL)',
    );
  }
  const location = describePostgresUrl(url);
  // Loaded here: users of the SQLite store never load the PostgreSQL driver.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'sleeptime',
    types: typeParsers(pg.types),
  });
  // An idle connection dropped by the server emits 'error' on the pool; unhandled, it would crash
  // the process. The next query reports the problem instead.
  pool.on('error', () => undefined);

  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    // Surfaces connection and authentication problems as such, before migrations run.
    await sql`select 1`.execute(db);
    await migrateToLatest(db as Kysely<unknown>, 'postgres', location);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw toStoreError(error, 'open', location);
  }
  return createKyselyStore({ db, kind: 'postgres', location, release: () => db.destroy() });
}
