/** SQLite-only behaviour: the data folder, opening errors, and several processes on one file. */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SleeptimeError } from '../errors.js';
import { sleeptimeErrorOf } from '../testing/sleeptime-error-of.js';
import { openStore, sqliteFileName } from './index.js';
import type { Store } from './index.js';
import { createSqliteTestLocation } from '../testing/test-databases.js';
import type { TestStoreLocation } from '../testing/test-databases.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const storeModuleUrl = pathToFileURL(fileURLToPath(new URL('./index.ts', import.meta.url))).href;
const runFile = promisify(execFile);

const locations: TestStoreLocation[] = [];
const stores: Store[] = [];

async function freshDataDir(): Promise<string> {
  const location = await createSqliteTestLocation('sqlite');
  locations.push(location);
  if (location.config.kind !== 'sqlite') throw new Error('expected a SQLite location');
  return location.config.dataDir;
}

async function open(dataDir: string): Promise<Store> {
  const store = await openStore({ kind: 'sqlite', dataDir });
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(locations.splice(0).map((location) => location.remove()));
});

/** The error opening the store fails with (a store that opens after all is closed, and the test fails). */
function openError(dataDir: string): Promise<SleeptimeError> {
  return sleeptimeErrorOf(openStore({ kind: 'sqlite', dataDir }).then((store) => store.close()));
}

describe('SQLite store', () => {
  it(`creates the data folder and ${sqliteFileName} in WAL mode with foreign keys`, async () => {
    const dataDir = join(await freshDataDir(), 'nested', 'deeper');
    const store = await open(dataDir);
    await store.contexts.put({ id: 'a', text: 'x' });
    await store.close();

    const file = join(dataDir, sqliteFileName);
    expect(existsSync(file)).toBe(true);
    const database = new BetterSqlite3(file, { readonly: true });
    try {
      expect(database.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = database
        .prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`)
        .pluck()
        .all();
      expect(tables).toEqual([
        'api_keys',
        'contexts',
        'jobs',
        'learned_contexts',
        'model_calls',
        'runs',
        'sleep_token_usage',
        'sleeptime_migration',
        'sleeptime_migration_lock',
        'tenants',
        'trigger_counters',
      ]);
      expect(database.prepare('select name from sleeptime_migration').pluck().all()).toEqual(['0001-initial', '0002-prefix-cache-columns', '0003-tenants-and-api-keys', '0004-jobs', '0005-trigger-counters', '0006-finish-reasons', '0007-partial-usage', '0008-sleep-token-usage', '0009-jobs-updated-at-index']);
    } finally {
      database.close();
    }
  });

  it('shares one connection between stores on the same file, until the last one closes', async () => {
    const dataDir = await freshDataDir();
    const first = await open(dataDir);
    const second = await open(`${dataDir}/./`);
    await first.contexts.put({ id: 'shared', text: 'one' });
    // An open transaction on one store must not lock out the other (no synchronous busy-wait).
    const run = await first.runs.start({ contextId: 'shared', kind: 'sleep', model: 'm', settings: {}, sourceVersion: 1 });
    const [completed, ...written] = await Promise.all([
      first.runs.complete(run.id, {
        usage: { inputTokens: 1, outputTokens: 1, reasoningTokens: 0 },
        learned: { text: 'l', sourceVersion: 1 },
      }),
      ...Array.from({ length: 5 }, (_, index) => second.contexts.put({ id: 'shared', text: `write ${index}` })),
    ]);
    expect(completed.run.status).toBe('succeeded');
    expect(written.map((context) => context.version).sort()).toEqual([2, 3, 4, 5, 6]);

    await first.close();
    expect((await second.contexts.get('shared'))?.version).toBe(6);
  });

  it('reports a data folder that cannot be created as store_unavailable, naming the path', async () => {
    const blocker = join(await freshDataDir(), 'a-file');
    writeFileSync(blocker, 'not a folder');
    const error = await openError(join(blocker, 'data'));
    expect(error).toMatchObject({ code: 'store_unavailable', category: 'system' });
    expect(error.message).toContain(join(blocker, 'data', sqliteFileName));
    expect(error.message).not.toContain('\n');
  });

  it('reports a file that is not a database as store_unavailable', async () => {
    const dataDir = await freshDataDir();
    writeFileSync(join(dataDir, sqliteFileName), 'this is plain text, not SQLite '.repeat(100));
    const error = await openError(dataDir);
    expect(error).toMatchObject({ code: 'store_unavailable', category: 'system' });
    expect(error.message).toMatch(/not a database/);
  });

  it('keeps versions unique and publishes atomically when several processes write at once', async () => {
    const dataDir = await freshDataDir();
    const processes = 4;
    const putsEach = 25;
    // Each child opens the fresh folder at the same moment (racing the migrations), then writes.
    const openAt = Date.now() + 2_000;
    const child = (index: number) => `
      const { openStore } = await import(${JSON.stringify(storeModuleUrl)});
      await new Promise((resolve) => setTimeout(resolve, ${openAt} - Date.now()));
      const store = await openStore({ kind: 'sqlite', dataDir: ${JSON.stringify(dataDir)} });
      const versions = [];
      for (let i = 0; i < ${putsEach}; i++) {
        versions.push((await store.contexts.put({ id: 'shared', text: 'p${index} ' + i })).version);
      }
      const run = await store.runs.start({ contextId: 'shared', kind: 'sleep', model: 'm', settings: {}, sourceVersion: 1 });
      await store.runs.complete(run.id, {
        usage: { inputTokens: 1, outputTokens: 1, reasoningTokens: 0 },
        learned: { text: 'from ${index}', sourceVersion: 1 },
      });
      await store.close();
      console.log(JSON.stringify(versions));
    `;
    const outputs = await Promise.all(
      Array.from({ length: processes }, (_, index) =>
        runFile(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', child(index)], {
          cwd: projectRoot,
        }),
      ),
    );
    const versions = outputs.flatMap(({ stdout }) => JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as number[]);
    expect(versions.sort((a, b) => a - b)).toEqual(
      Array.from({ length: processes * putsEach }, (_, index) => index + 1),
    );

    const store = await open(dataDir);
    expect((await store.contexts.get('shared'))?.version).toBe(processes * putsEach);
    const history = await store.learned.history('shared');
    expect(history.map((learned) => learned.text).sort()).toEqual(['from 0', 'from 1', 'from 2', 'from 3']);
    expect((await store.runs.list('shared')).every((run) => run.status === 'succeeded')).toBe(true);
  });
});
