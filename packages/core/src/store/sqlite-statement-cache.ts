import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared; past it the least recently used is dropped. */
export const defaultStatementCacheSize = 256;

/**
 * Kysely's SQLite driver prepares every query anew, which was a tenth of the service's CPU per ask
 * (better-sqlite3's `prepare` parses and plans the SQL each time). The store's queries are a few
 * dozen fixed texts, so the connection keeps them prepared. Reusing a statement is safe: the driver
 * runs one query at a time on the connection (its mutex), and SQLite re-prepares a statement by
 * itself when the schema changes.
 */
export function withStatementCache(database: BetterSqlite3.Database, maxSize = defaultStatementCacheSize): SqliteDatabase {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      // A statement still iterating (a streamed query) cannot run again until it is done.
      if (statement?.busy === true) return database.prepare(sql) as unknown as SqliteStatement;
      if (statement === undefined) {
        statement = database.prepare(sql);
        if (statements.size >= maxSize) {
          const oldest = statements.keys().next().value;
          if (oldest !== undefined) statements.delete(oldest);
        }
      } else {
        statements.delete(sql);
      }
      statements.set(sql, statement);
      return statement as unknown as SqliteStatement;
    },
  };
}
