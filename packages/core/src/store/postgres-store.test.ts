/** PostgreSQL-only behaviour: connection errors, and what error messages may say about the URL. */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SleeptimeError } from '../errors.js';
import { sleeptimeErrorOf } from '../testing/sleeptime-error-of.js';
import { describePostgresUrl, openStore } from './index.js';
import {
  createPostgresTestLocation,
  postgresTestSettings,
  postgresTestUrlVariable,
  requirePostgresVariable,
} from '../testing/test-databases.js';
import type { TestStoreLocation } from '../testing/test-databases.js';

const postgres = postgresTestSettings();

/** The error opening the store fails with (a store that opens after all is closed, and the test fails). */
function openError(url: string): Promise<SleeptimeError> {
  return sleeptimeErrorOf(openStore({ kind: 'postgres', url }).then((store) => store.close()));
}

/** A port nothing listens on: bind an ephemeral one, then let it go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('PostgreSQL store without a server', () => {
  it('reports an unreachable server as store_unavailable, naming host and port but not the password', async () => {
    const port = await closedPort();
    const error = await openError(`postgres://someone:hunter2secret@127.0.0.1:${port}/somedb`);
    expect(error).toMatchObject({ code: 'store_unavailable', category: 'system' });
    expect(error.message).toContain(`127.0.0.1:${port}/somedb`);
    expect(error.message).not.toContain('hunter2secret');
    expect(error.message).not.toContain('\n');
  });

  it('rejects a URL that is not postgres:// as a user error', async () => {
    const error = await openError('mysql://user:pw@localhost/db');
    expect(error).toMatchObject({ code: 'invalid_database_url', category: 'user' });
    expect(error.message).not.toContain('pw@');
  });

  it('describes URLs without their password', () => {
    expect(describePostgresUrl('postgresql://app:s%40cret@db.example:6543/main?sslmode=require')).toEqual({
      description: 'PostgreSQL at db.example:6543/main as app',
      secrets: ['s%40cret', 's@cret'],
    });
    expect(describePostgresUrl('postgres://localhost/x').description).toBe('PostgreSQL at localhost:5432/x');
  });
});

const serverUrl = postgres.url;

if (serverUrl === undefined && postgres.required) {
  describe('PostgreSQL store with a server', () => {
    it(`has a database because ${requirePostgresVariable}=1`, () => {
      expect.fail(`${requirePostgresVariable}=1 but ${postgresTestUrlVariable} is not set`);
    });
  });
}

describe.skipIf(serverUrl === undefined)(
  `PostgreSQL store with a server${serverUrl === undefined ? ` (SKIPPED: ${postgresTestUrlVariable} is not set)` : ''}`,
  () => {
    let location: TestStoreLocation | undefined;
    beforeAll(async () => {
      location = await createPostgresTestLocation(serverUrl ?? '', 'postgres errors');
    });
    afterAll(async () => {
      await location?.remove();
    });

    function withUrl(change: (url: URL) => void): string {
      if (location?.config.kind !== 'postgres') throw new Error('no test database');
      const url = new URL(location.config.url);
      change(url);
      return url.toString();
    }

    it('reports a wrong password as store_unavailable without echoing it', async () => {
      const error = await openError(withUrl((url) => (url.password = 'definitely-wrong-password')));
      expect(error).toMatchObject({ code: 'store_unavailable', category: 'system' });
      expect(error.message).toMatch(/password authentication failed/);
      expect(error.message).not.toContain('definitely-wrong-password');
    });

    it('reports a missing database as store_unavailable', async () => {
      const error = await openError(withUrl((url) => (url.pathname = '/sleeptime_no_such_database')));
      expect(error).toMatchObject({ code: 'store_unavailable', category: 'system' });
      expect(error.message).toContain('sleeptime_no_such_database');
    });

    it('creates the tables, indexes and migration record in the database', async () => {
      const store = await openStore(location?.config ?? expect.fail('no test database'));
      await store.close();
      const check = await openStore(location?.config ?? expect.fail('no test database'));
      await check.close();
      // Inspect through a plain client, independent of the store code.
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: withUrl(() => undefined) });
      await client.connect();
      try {
        const tables = await client.query<{ table_name: string }>(
          `select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
        );
        expect(tables.rows.map((row) => row.table_name)).toEqual([
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
        const migrations = await client.query<{ name: string }>('select name from sleeptime_migration');
        expect(migrations.rows.map((row) => row.name)).toEqual(['0001-initial', '0002-prefix-cache-columns', '0003-tenants-and-api-keys', '0004-jobs', '0005-trigger-counters', '0006-finish-reasons', '0007-partial-usage', '0008-sleep-token-usage', '0009-jobs-updated-at-index']);
        const indexes = await client.query<{ indexname: string }>(
          `select indexname from pg_indexes where schemaname = 'public' and indexname like '%_index' order by indexname`,
        );
        expect(indexes.rows.map((row) => row.indexname)).toEqual([
          'api_keys_tenant_id_index',
          'contexts_created_at_index',
          'jobs_context_id_index',
          'jobs_pending_coalesce_key_index',
          'jobs_run_id_index',
          'jobs_status_run_after_index',
          'jobs_updated_at_index',
          'learned_contexts_context_id_index',
          'learned_contexts_run_id_index',
          'model_calls_run_id_index',
          'runs_context_id_index',
        ]);
      } finally {
        await client.end();
      }
    });
  },
);
