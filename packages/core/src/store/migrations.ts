import { Migrator, sql } from 'kysely';
import type { ColumnDefinitionBuilder, Kysely, Migration, MigrationProvider, MigrationResultSet } from 'kysely';
import { systemError } from '../errors.js';
import { isUnavailableError, oneLineMessage, redact, unavailableError } from './store-errors.js';
import type { StoreLocation } from './store-errors.js';

export type StoreDialect = 'sqlite' | 'postgres';

/**
 * Auto-incrementing integer keys are the one thing SQLite and PostgreSQL spell differently
 * (`integer primary key autoincrement` vs an identity column); everything else in the migrations
 * is the same SQL on both.
 */
function autoIncrementingPrimaryKey(dialect: StoreDialect) {
  return (column: ColumnDefinitionBuilder) =>
    dialect === 'postgres'
      ? column.primaryKey().generatedByDefaultAsIdentity()
      : column.primaryKey().autoIncrement();
}

/**
 * The store's migrations, applied in name order. Never edit a released migration: add a new one.
 * Migrations take `Kysely<unknown>` on purpose, so they cannot depend on the current schema types.
 */
export function storeMigrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001-initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('contexts')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('text', 'text', (column) => column.notNull())
          .addColumn('version', 'integer', (column) => column.notNull())
          .addColumn('metadata', 'text', (column) => column.notNull())
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addColumn('updated_at', 'text', (column) => column.notNull())
          .addCheckConstraint('contexts_version_positive', sql`version >= 1`)
          .execute();
        await db.schema.createIndex('contexts_created_at_index').on('contexts').columns(['created_at', 'id']).execute();

        await db.schema
          .createTable('runs')
          .addColumn('sequence', 'integer', autoIncrementingPrimaryKey(dialect))
          .addColumn('id', 'text', (column) => column.notNull().unique())
          .addColumn('context_id', 'text', (column) =>
            column.notNull().references('contexts.id').onDelete('cascade'),
          )
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('model', 'text', (column) => column.notNull())
          .addColumn('settings', 'text', (column) => column.notNull())
          .addColumn('source_version', 'integer', (column) => column.notNull())
          .addColumn('question', 'text')
          .addColumn('answer', 'text')
          .addColumn('final', 'text')
          .addColumn('fresh', 'integer')
          // No foreign key: informational, and a key in both directions would make deletes circular.
          .addColumn('learned_context_id', 'integer')
          .addColumn('input_tokens', 'bigint', (column) => column.notNull())
          .addColumn('output_tokens', 'bigint', (column) => column.notNull())
          .addColumn('reasoning_tokens', 'bigint', (column) => column.notNull())
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .addColumn('started_at', 'text', (column) => column.notNull())
          .addColumn('finished_at', 'text')
          .addColumn('duration_ms', 'bigint')
          .addCheckConstraint('runs_kind_known', sql`kind in ('sleep', 'ask')`)
          .addCheckConstraint('runs_status_known', sql`status in ('running', 'succeeded', 'failed')`)
          .addCheckConstraint('runs_fresh_boolean', sql`fresh in (0, 1)`)
          .addCheckConstraint(
            'runs_usage_not_negative',
            sql`input_tokens >= 0 and output_tokens >= 0 and reasoning_tokens >= 0`,
          )
          .execute();
        await db.schema.createIndex('runs_context_id_index').on('runs').columns(['context_id', 'sequence']).execute();

        await db.schema
          .createTable('learned_contexts')
          .addColumn('id', 'integer', autoIncrementingPrimaryKey(dialect))
          .addColumn('context_id', 'text', (column) =>
            column.notNull().references('contexts.id').onDelete('cascade'),
          )
          .addColumn('source_version', 'integer', (column) => column.notNull())
          .addColumn('text', 'text', (column) => column.notNull())
          .addColumn('run_id', 'text', (column) => column.notNull().references('runs.id').onDelete('cascade'))
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addCheckConstraint('learned_contexts_source_version_positive', sql`source_version >= 1`)
          .execute();
        await db.schema
          .createIndex('learned_contexts_context_id_index')
          .on('learned_contexts')
          .columns(['context_id', 'id'])
          .execute();
        // PostgreSQL does not index foreign keys itself; the cascade from runs needs this one.
        await db.schema.createIndex('learned_contexts_run_id_index').on('learned_contexts').column('run_id').execute();

        await db.schema
          .createTable('model_calls')
          .addColumn('id', 'integer', autoIncrementingPrimaryKey(dialect))
          .addColumn('run_id', 'text', (column) => column.notNull().references('runs.id').onDelete('cascade'))
          .addColumn('phase', 'text', (column) => column.notNull())
          .addColumn('branch', 'integer', (column) => column.notNull())
          .addColumn('step', 'integer', (column) => column.notNull())
          .addColumn('input_tokens', 'bigint', (column) => column.notNull())
          .addColumn('output_tokens', 'bigint', (column) => column.notNull())
          .addColumn('reasoning_tokens', 'bigint', (column) => column.notNull())
          .addColumn('raw_usage', 'text')
          .addColumn('finish_reason', 'text', (column) => column.notNull())
          .addColumn('duration_ms', 'bigint', (column) => column.notNull())
          .addCheckConstraint('model_calls_phase_known', sql`phase in ('sleep', 'test')`)
          .addCheckConstraint(
            'model_calls_usage_not_negative',
            sql`input_tokens >= 0 and output_tokens >= 0 and reasoning_tokens >= 0`,
          )
          .execute();
        await db.schema.createIndex('model_calls_run_id_index').on('model_calls').column('run_id').execute();
      },
    },
    // Sleep-time prefix precompute (issue 5): how an ask's prompt prefix was served, and what the
    // warm-up after a sleep did. Nullable: older runs and providers that report nothing.
    '0002-prefix-cache-columns': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('runs').addColumn('prefix_cache_hit', 'integer').execute();
        await db.schema.alterTable('runs').addColumn('time_to_first_token_ms', 'bigint').execute();
        await db.schema.alterTable('runs').addColumn('prefix_warm_up', 'text').execute();
      },
    },
    // The HTTP service (issue 4).
    '0003-tenants-and-api-keys': {
      async up(db: Kysely<unknown>) {
        // The HTTP service's tenants. Their contexts live in `contexts` under `<tenant id>.<context id>`.
        await db.schema
          .createTable('tenants')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('name', 'text', (column) => column.notNull().unique())
          .addColumn('created_at', 'text', (column) => column.notNull())
          .execute();
        // Only the SHA-256 of a key is kept: a leaked database does not leak usable keys.
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('tenant_id', 'text', (column) => column.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('key_hash', 'text', (column) => column.notNull().unique())
          .addColumn('label', 'text')
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema.createIndex('api_keys_tenant_id_index').on('api_keys').column('tenant_id').execute();
      },
    },
    // Durable sleep jobs (issue 4): the embedded worker polls this table; a lease makes a job one
    // worker's at a time, and an expired lease lets another worker pick it up again.
    '0004-jobs': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('jobs')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('context_id', 'text', (column) => column.notNull().references('contexts.id').onDelete('cascade'))
          .addColumn('coalesce_key', 'text')
          .addColumn('payload', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('attempts', 'integer', (column) => column.notNull())
          .addColumn('max_attempts', 'integer', (column) => column.notNull())
          .addColumn('run_after', 'text', (column) => column.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_expires_at', 'text')
          // The run the job's next attempt creates (pre-assigned on demand), then the latest run.
          .addColumn('run_id', 'text')
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addColumn('updated_at', 'text', (column) => column.notNull())
          .addCheckConstraint('jobs_kind_known', sql`kind in ('sleep')`)
          .addCheckConstraint('jobs_status_known', sql`status in ('pending', 'running', 'succeeded', 'failed')`)
          .addCheckConstraint('jobs_attempts_valid', sql`attempts >= 0 and max_attempts >= 1`)
          .execute();
        // At most one pending job per coalescing key: a new write pushes that job back instead of adding one.
        await sql`create unique index jobs_pending_coalesce_key_index on jobs (coalesce_key) where status = 'pending'`.execute(db);
        await db.schema.createIndex('jobs_status_run_after_index').on('jobs').columns(['status', 'run_after']).execute();
        await db.schema.createIndex('jobs_context_id_index').on('jobs').column('context_id').execute();
        await db.schema.createIndex('jobs_run_id_index').on('jobs').column('run_id').execute();
      },
    },
    // Every-N-asks and every-N-appends triggers count here, so a restart or a second server process
    // neither loses nor splits the count.
    '0005-trigger-counters': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('trigger_counters')
          .addColumn('context_id', 'text', (column) => column.notNull().references('contexts.id').onDelete('cascade'))
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('count', 'bigint', (column) => column.notNull())
          .addPrimaryKeyConstraint('trigger_counters_primary_key', ['context_id', 'kind'])
          .addCheckConstraint('trigger_counters_kind_known', sql`kind in ('asks', 'appends')`)
          .execute();
      },
    },
    // Bounded generation (issue 11): why the model stopped, and which limit cut a run short.
    // Nullable: older runs, and runs that failed before an answer.
    '0006-finish-reasons': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('runs').addColumn('finish_reason', 'text').execute();
        await db.schema.alterTable('runs').addColumn('truncated_by', 'text').execute();
      },
    },
    // A run cut before its provider reported usage (a client that hung up mid-stream) records the
    // tokens known so far, marked partial. Nullable: older runs.
    '0007-partial-usage': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('runs').addColumn('usage_partial', 'integer').execute();
      },
    },
    // Sleep-time tokens per tenant per UTC day (issue 12, Limits), counted as each sleep-time model
    // call is recorded. Apart from runs on purpose, without a foreign key: a context's runs go with
    // it, and deleting contexts must not give a tenant its budget back.
    '0008-sleep-token-usage': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('sleep_token_usage')
          // The tenant's context id prefix (`<tenant id>.`).
          .addColumn('tenant', 'text', (column) => column.notNull())
          // YYYY-MM-DD, UTC.
          .addColumn('day', 'text', (column) => column.notNull())
          .addColumn('tokens', 'bigint', (column) => column.notNull())
          .addPrimaryKeyConstraint('sleep_token_usage_primary_key', ['tenant', 'day'])
          .addCheckConstraint('sleep_token_usage_tokens_not_negative', sql`tokens >= 0`)
          .execute();
      },
    },
    // The dashboard's event stream reads the jobs changed since its last look, every second for each
    // tenant with a stream open; succeeded jobs stay in the table, so without this it scanned them all.
    '0009-jobs-updated-at-index': {
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('jobs_updated_at_index').on('jobs').columns(['updated_at', 'id']).execute();
      },
    },
  };
}

class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

/** Own names, so the store can share a database with another Kysely application's migrations. */
export const migrationTableName = 'sleeptime_migration';
export const migrationLockTableName = 'sleeptime_migration_lock';

/** Applies every pending migration; a no-op when the schema is current. */
export async function migrateToLatest(
  db: Kysely<unknown>,
  dialect: StoreDialect,
  location: StoreLocation,
): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: new StaticMigrationProvider(storeMigrations(dialect)),
    migrationTableName,
    migrationLockTableName,
  });
  const result = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    if (isUnavailableError(result.error)) throw unavailableError(location, result.error);
    const failed = result.results?.find((migration) => migration.status === 'Error')?.migrationName;
    throw systemError(
      'store_migration_failed',
      redact(
        `store: migration ${failed ?? '(setup)'} failed on ${location.description}: ${oneLineMessage(result.error)}`,
        location.secrets,
      ),
      result.error,
    );
  }
  return result;
}
