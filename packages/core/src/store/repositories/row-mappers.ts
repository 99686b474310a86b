import type { Selectable } from 'kysely';
import { systemError, userError } from '../../errors.js';
import type { Usage } from '../../models/usage.js';
import type {
  ApiKeysTable,
  ContextsTable,
  JobsTable,
  LearnedContextsTable,
  ModelCallsTable,
  RunsTable,
  TenantsTable,
} from '../schema.js';
import type {
  ApiKeyRecord,
  ContextRecord,
  JobRecord,
  LearnedContextRecord,
  ModelCallRecord,
  PrefixWarmUpRecord,
  RunError,
  RunRecord,
  TenantRecord,
  TruncationLimit,
} from '../types.js';

/** The token count columns of runs and model_calls. */
type UsageColumns = Pick<RunsTable, 'input_tokens' | 'output_tokens' | 'reasoning_tokens'>;

export function usageColumns(usage: Usage): UsageColumns {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    reasoning_tokens: usage.reasoningTokens,
  };
}

function usageFromColumns(row: UsageColumns): Usage {
  return {
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
  };
}

/** Token counts are whole and non-negative; anything else is a bug upstream of the store. */
export function checkUsage(usage: Usage, owner: string): void {
  for (const [field, value] of Object.entries(usage)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw systemError('invalid_usage', `usage of ${owner}: ${field} must be a whole number >= 0, got ${value}`);
    }
  }
}

/** The error columns of runs and jobs. */
function errorFromColumns(row: { error_code: string | null; error_message: string | null }): RunError | null {
  return row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' };
}

export function serializeObject(value: Record<string, unknown>, field: string): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw userError(`invalid_${field}`, `${field} must be a JSON object`);
  }
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw userError(`invalid_${field}`, `${field} cannot be stored as JSON: ${(error as Error).message}`);
  }
}

function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

export function toContextRecord(row: Selectable<ContextsTable>): ContextRecord {
  return {
    id: row.id,
    text: row.text,
    version: Number(row.version),
    metadata: parseJson(row.metadata) as Record<string, unknown>,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toLearnedContextRecord(row: Selectable<LearnedContextsTable>): LearnedContextRecord {
  return {
    id: Number(row.id),
    contextId: row.context_id,
    sourceVersion: Number(row.source_version),
    text: row.text,
    runId: row.run_id,
    createdAt: new Date(row.created_at),
  };
}

export function toTenantRecord(row: Selectable<TenantsTable>): TenantRecord {
  return { id: row.id, name: row.name, createdAt: new Date(row.created_at) };
}

/** Takes no hash: an ApiKeyRecord never carries one. */
export function toApiKeyRecord(row: Omit<Selectable<ApiKeysTable>, 'key_hash'>): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    label: row.label,
    createdAt: new Date(row.created_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

export function toRunRecord(row: Selectable<RunsTable>): RunRecord {
  return {
    id: row.id,
    contextId: row.context_id,
    kind: row.kind,
    status: row.status,
    model: row.model,
    settings: parseJson(row.settings) as Record<string, unknown>,
    sourceVersion: Number(row.source_version),
    question: row.question,
    answer: row.answer,
    final: row.final,
    fresh: row.fresh === null ? null : Number(row.fresh) === 1,
    learnedContextId: row.learned_context_id === null ? null : Number(row.learned_context_id),
    usage: usageFromColumns(row),
    error: errorFromColumns(row),
    startedAt: new Date(row.started_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    prefixCacheHit: row.prefix_cache_hit === null ? null : Number(row.prefix_cache_hit) === 1,
    timeToFirstTokenMs: row.time_to_first_token_ms === null ? null : Number(row.time_to_first_token_ms),
    prefixWarmUp: row.prefix_warm_up === null ? null : (parseJson(row.prefix_warm_up) as PrefixWarmUpRecord),
    finishReason: row.finish_reason,
    truncated: row.truncated_by !== null,
    truncatedBy: row.truncated_by as TruncationLimit | null,
    usagePartial: Number(row.usage_partial ?? 0) === 1,
  };
}

export function toJobRecord(row: Selectable<JobsTable>): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    contextId: row.context_id,
    coalesceKey: row.coalesce_key,
    payload: parseJson(row.payload) as Record<string, unknown>,
    status: row.status,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAfter: new Date(row.run_after),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at === null ? null : new Date(row.lease_expires_at),
    runId: row.run_id,
    error: errorFromColumns(row),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toModelCallRecord(row: Selectable<ModelCallsTable>): ModelCallRecord {
  return {
    runId: row.run_id,
    phase: row.phase,
    branch: Number(row.branch),
    step: Number(row.step),
    usage: usageFromColumns(row),
    rawUsage: row.raw_usage === null ? undefined : parseJson(row.raw_usage),
    finishReason: row.finish_reason,
    durationMs: Number(row.duration_ms),
  };
}
