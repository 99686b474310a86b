import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withStatementCache } from './sqlite-statement-cache.js';

describe('withStatementCache', () => {
  let dir: string;
  let database: BetterSqlite3.Database;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'statement-cache-'));
    database = new BetterSqlite3(join(dir, 'test.db'));
    database.exec('create table t (id integer primary key, name text)');
  });
  afterEach(async () => {
    if (database.open) database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prepares each SQL text once and reuses the statement', () => {
    const prepare = vi.spyOn(database, 'prepare');
    const cached = withStatementCache(database);
    for (let i = 0; i < 5; i++) (cached.prepare('insert into t (name) values (?)') as unknown as BetterSqlite3.Statement).run([`n${i}`]);
    const select = cached.prepare('select count(*) as n from t');
    expect(select.reader).toBe(true);
    expect(select.all([])).toEqual([{ n: 5 }]);
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it('keeps at most maxSize statements, dropping the least recently used', () => {
    const prepare = vi.spyOn(database, 'prepare');
    const cached = withStatementCache(database, 2);
    cached.prepare('select 1');
    cached.prepare('select 2');
    cached.prepare('select 1'); // used again: now the most recent
    cached.prepare('select 3'); // evicts 'select 2'
    cached.prepare('select 1');
    expect(prepare).toHaveBeenCalledTimes(3);
    cached.prepare('select 2');
    expect(prepare).toHaveBeenCalledTimes(4);
  });

  it('still sees a schema change made after a statement was prepared', () => {
    const cached = withStatementCache(database);
    const select = () => cached.prepare('select * from t').all([]);
    expect(select()).toEqual([]);
    database.exec('alter table t add column extra text');
    database.exec("insert into t (name, extra) values ('a', 'b')");
    expect(select()).toEqual([{ id: 1, name: 'a', extra: 'b' }]);
  });

  it('prepares a fresh statement while the cached one is still iterating', () => {
    database.exec("insert into t (name) values ('a'), ('b')");
    const cached = withStatementCache(database);
    const outer = (cached.prepare('select name from t order by id') as unknown as BetterSqlite3.Statement).iterate([]);
    const names: string[] = [];
    for (const row of outer) {
      names.push((row as { name: string }).name);
      expect(cached.prepare('select name from t order by id').all([])).toHaveLength(2);
    }
    expect(names).toEqual(['a', 'b']);
  });

  it('closes the database', () => {
    withStatementCache(database).close();
    expect(database.open).toBe(false);
  });
});
