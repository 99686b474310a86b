import type { Generated } from 'kysely';
import type { JobKind, JobStatus, Phase, RunKind, RunStatus, TriggerCounterKind } from './types.js';

/**
 * Row types of the store's tables, shared by SQLite and PostgreSQL. Column types are chosen to mean
 * the same thing on both:
 * - timestamps are ISO-8601 UTC text with milliseconds (`Date#toISOString()`), which sorts
 *   chronologically as text and reads the same in `sqlite3` and `psql`;
 * - JSON (metadata, settings, raw usage) is text written with `JSON.stringify`;
 * - booleans are integers 0/1 (SQLite has no boolean type and better-sqlite3 cannot bind one);
 * - token counts and durations are `bigint` columns, read back as JS numbers.
 */
export interface Database {
  contexts: ContextsTable;
  learned_contexts: LearnedContextsTable;
  runs: RunsTable;
  model_calls: ModelCallsTable;
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  jobs: JobsTable;
  trigger_counters: TriggerCountersTable;
  sleep_token_usage: SleepTokenUsageTable;
}

/** Sleep-time tokens (input + output) of a tenant's sleep-time model calls on one UTC day. */
export interface SleepTokenUsageTable {
  /** The tenant's context id prefix, dot included (`t1.`). */
  tenant: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  /** bigint: PostgreSQL returns it as a string. */
  tokens: number | string;
}

export interface TriggerCountersTable {
  context_id: string;
  kind: TriggerCounterKind;
  /** bigint: PostgreSQL returns it as a string. */
  count: number | string;
}

export interface JobsTable {
  id: string;
  kind: JobKind;
  context_id: string;
  coalesce_key: string | null;
  /** JSON object: the options the job's run is started with. */
  payload: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  run_after: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  run_id: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: string;
  updated_at: string;
}

export interface TenantsTable {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  /** Hex SHA-256 of the key. */
  key_hash: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface ContextsTable {
  id: string;
  text: string;
  version: number;
  /** JSON object. */
  metadata: string;
  created_at: string;
  updated_at: string;
}

export interface LearnedContextsTable {
  id: Generated<number>;
  context_id: string;
  source_version: number;
  text: string;
  run_id: string;
  created_at: string;
}

export interface RunsTable {
  /** Insertion order, so that runs started within the same millisecond still list in order. */
  sequence: Generated<number>;
  id: string;
  context_id: string;
  kind: RunKind;
  status: RunStatus;
  model: string;
  /** JSON object. */
  settings: string;
  source_version: number;
  question: string | null;
  answer: string | null;
  final: string | null;
  /** 1, 0 or null. */
  fresh: number | null;
  learned_context_id: number | null;
  input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  error_code: string | null;
  error_message: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  /** Ask runs: 1, 0 or null (not reported). */
  prefix_cache_hit: number | null;
  time_to_first_token_ms: number | null;
  /** Sleep runs: JSON of the prefix warm-up after publishing, or null when none ran. */
  prefix_warm_up: string | null;
  /** See RunRecord.finishReason. */
  finish_reason: string | null;
  /** See RunRecord.truncatedBy; null when no limit cut the run short. */
  truncated_by: string | null;
  /** 1 when the usage is what was known when the run was cut, not the provider's report; else 0 or null. */
  usage_partial: number | null;
}

export interface ModelCallsTable {
  id: Generated<number>;
  run_id: string;
  phase: Phase;
  branch: number;
  step: number;
  input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  /** JSON text; SQL NULL when the provider reported nothing (`undefined`). */
  raw_usage: string | null;
  finish_reason: string;
  duration_ms: number;
}
