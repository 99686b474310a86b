import { mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { createKyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import type { Database } from './schema.js';
import { toStoreError, unavailableError } from './store-errors.js';
import type { StoreLocation } from './store-errors.js';
import type { Store } from './types.js';

export const sqliteFileName = 'sleeptime.db';

/** How long a write waits for another process's lock before failing with `store_busy`. */
const busyTimeoutMs = 5_000;

interface OpenDatabase {
  ready: Promise<Kysely<Database>>;
  /** Stores using it, counted before `ready` settles so a close in between cannot destroy it. */
  users: number;
}

/**
 * One connection per database file per process. better-sqlite3 waits for locks synchronously, so a
 * second connection in the same process waiting on the first one's open transaction would block the
 * very event loop that has to finish that transaction (a self-deadlock until busy_timeout). Sharing
 * one connection lets Kysely's connection mutex queue the work instead.
 */
const openDatabases = new Map<string, OpenDatabase>();

/**
 * Opens (creating if needed) `<dataDir>/sleeptime.db` and brings its schema up to date. Stores
 * opened on the same file in one process share a connection; each `close()` releases its share.
 */
export async function openSqliteStore(dataDir: string): Promise<Store> {
  let path = join(resolve(dataDir), sqliteFileName);
  const describe = (file: string): StoreLocation => ({ description: `SQLite database ${file}`, secrets: [] });
  try {
    mkdirSync(resolve(dataDir), { recursive: true });
    // The same file reached through a symlink must share the connection too.
    path = join(realpathSync(resolve(dataDir)), sqliteFileName);
  } catch (error) {
    throw unavailableError(describe(path), error);
  }
  const location = describe(path);

  let entry = openDatabases.get(path);
  if (entry === undefined) {
    entry = { ready: openDatabase(path, location), users: 0 };
    openDatabases.set(path, entry);
  }
  const shared = entry;
  shared.users += 1;
  let db: Kysely<Database>;
  try {
    db = await shared.ready;
  } catch (error) {
    shared.users -= 1;
    if (openDatabases.get(path) === shared) openDatabases.delete(path);
    throw error;
  }

  return createKyselyStore({
    db,
    kind: 'sqlite',
    location,
    release: async () => {
      shared.users -= 1;
      if (shared.users > 0) return;
      if (openDatabases.get(path) === shared) openDatabases.delete(path);
      await db.destroy();
    },
  });
}

/**
 * Switching a new file to WAL needs a moment alone with it, and SQLite answers SQLITE_BUSY at once
 * (its busy timeout does not apply) while another process is opening the same new file: retried
 * until the busy timeout has passed.
 */
async function switchToWal(database: BetterSqlite3.Database): Promise<void> {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      database.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      await sleep(10 + Math.random() * 40);
    }
  }
}

async function openDatabase(path: string, location: StoreLocation): Promise<Kysely<Database>> {
  let database: BetterSqlite3.Database | undefined;
  try {
    database = new BetterSqlite3(path, { timeout: busyTimeoutMs });
    // WAL lets readers work while a writer commits; NORMAL sync is durable enough with WAL.
    await switchToWal(database);
    database.pragma('synchronous = NORMAL');
    database.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Off by default in SQLite; the cascades from contexts depend on it.
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database?.close();
    throw unavailableError(location, error);
  }

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  try {
    // Kysely runs SQLite migrations outside a transaction. BEGIN IMMEDIATE makes them atomic and
    // makes another process opening a fresh data folder wait instead of racing the DDL.
    await sql`begin immediate`.execute(db);
    try {
      await migrateToLatest(db as Kysely<unknown>, 'sqlite', location);
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db).catch(() => undefined);
      throw error;
    }
  } catch (error) {
    await db.destroy();
    throw toStoreError(error, 'open', location);
  }
  return db;
}
