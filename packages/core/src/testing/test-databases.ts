/**
 * Fresh, throw-away store locations for tests (not used by the product). SQLite gets a new temp
 * folder; PostgreSQL gets a new database on the server named by SLEEPTIME_TEST_DATABASE_URL
 * (`bash scripts/start-test-postgres.sh` prints one), so test files never see each other's rows and
 * can be re-run at will.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreConfig } from '../store/types.js';

export const postgresTestUrlVariable = 'SLEEPTIME_TEST_DATABASE_URL';
export const requirePostgresVariable = 'SLEEPTIME_REQUIRE_POSTGRES';

export interface PostgresTestSettings {
  /** Undefined when the PostgreSQL tests should be skipped. */
  url: string | undefined;
  /** SLEEPTIME_REQUIRE_POSTGRES=1: a missing URL is a failure, not a skip. */
  required: boolean;
}

export function postgresTestSettings(env: Record<string, string | undefined> = process.env): PostgresTestSettings {
  const url = env[postgresTestUrlVariable]?.trim();
  return { url: url === '' ? undefined : url, required: env[requirePostgresVariable] === '1' };
}

export interface TestStoreLocation {
  config: StoreConfig;
  /** Deletes the folder or drops the database; close the stores using it first. */
  remove(): Promise<void>;
}

export async function createSqliteTestLocation(label: string): Promise<TestStoreLocation> {
  const dataDir = await mkdtemp(join(tmpdir(), `sleeptime-${safeLabel(label)}-`));
  return {
    config: { kind: 'sqlite', dataDir },
    remove: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** Creates an empty database next to the one `serverUrl` names (the role needs CREATEDB). */
export async function createPostgresTestLocation(serverUrl: string, label: string): Promise<TestStoreLocation> {
  const database = `sleeptime_test_${safeLabel(label)}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return {
    config: { kind: 'postgres', url: url.toString() },
    remove: () =>
      withAdminClient(serverUrl, async (client) => {
        // Pools that were just ended (Graphile Worker's, a store's) may still be closing their
        // connections: ending one under them makes their client emit an error nobody listens to
        // any more. Wait a moment for them to go; FORCE (PostgreSQL 13+) then ends what a failed
        // test left open.
        const deadline = Date.now() + 3_000;
        while (Date.now() < deadline) {
          const open = await client.query<{ count: string }>('select count(*) as count from pg_stat_activity where datname = $1', [database]);
          if (Number(open.rows[0]?.count ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      }),
  };
}

async function withAdminClient<T>(serverUrl: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

function safeLabel(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
}
