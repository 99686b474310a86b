/** The JSON shapes of the HTTP API: records as the wire shows them (tenant prefixes stripped, also from recorded errors; dates as ISO text). */
import type { ContextRecord, JobRecord, LearnedContextVersion, ModelCallRecord, RunRecord } from '@sleeptime/core';
import type { TenantScope } from '../tenancy/tenant-scope.js';
import { wireRunError } from './wire-message.js';

export function contextJson(scope: TenantScope, record: ContextRecord) {
  return {
    id: scope.wireId(record.id),
    version: record.version,
    text: record.text,
    metadata: record.metadata,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

/** One entry of a context list: the text's size instead of the text. */
export function contextSummaryJson(scope: TenantScope, record: ContextRecord) {
  return {
    id: scope.wireId(record.id),
    version: record.version,
    characters: record.text.length,
    metadata: record.metadata,
    updatedAt: record.updatedAt.toISOString(),
  };
}

export function learnedJson(scope: TenantScope, { record, version, fresh }: LearnedContextVersion) {
  return {
    contextId: scope.wireId(record.contextId),
    version,
    sourceVersion: record.sourceVersion,
    fresh,
    text: record.text,
    runId: record.runId,
    createdAt: record.createdAt.toISOString(),
  };
}

export function runJson(scope: TenantScope, run: RunRecord) {
  return {
    id: run.id,
    contextId: scope.wireId(run.contextId),
    kind: run.kind,
    status: run.status,
    model: run.model,
    settings: run.settings,
    sourceVersion: run.sourceVersion,
    question: run.question,
    answer: run.answer,
    final: run.final,
    fresh: run.fresh,
    usage: run.usage,
    error: wireRunError(run.error, scope),
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: run.durationMs,
    finishReason: run.finishReason,
    truncated: run.truncated,
    truncatedBy: run.truncatedBy,
    usagePartial: run.usagePartial,
    prefixCacheHit: run.prefixCacheHit,
    timeToFirstTokenMs: run.timeToFirstTokenMs,
    prefixWarmUp: run.prefixWarmUp === null ? null : { ...run.prefixWarmUp, ...(run.prefixWarmUp.error === undefined ? {} : { error: wireRunError(run.prefixWarmUp.error, scope) }) },
  };
}

/** A sleep run that a job will start: run-shaped, so a client follows it like any run. */
export function queuedRunJson(scope: TenantScope, job: JobRecord, contextVersion: number) {
  return {
    id: job.runId,
    jobId: job.id,
    contextId: scope.wireId(job.contextId),
    kind: 'sleep' as const,
    // A job that failed before it could start a run reports its error here.
    status: job.status === 'failed' ? ('failed' as const) : ('queued' as const),
    model: null,
    settings: job.payload,
    sourceVersion: contextVersion,
    question: null,
    answer: null,
    final: null,
    fresh: null,
    usage: { inputTokens: 0, outputTokens: 0, reasoningTokens: 0 },
    error: job.status === 'failed' ? wireRunError(job.error, scope) : null,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    finishReason: null,
    truncated: false,
    truncatedBy: null,
    usagePartial: false,
    prefixCacheHit: null,
    timeToFirstTokenMs: null,
    prefixWarmUp: null,
    runAfter: job.runAfter.toISOString(),
  };
}

export function jobJson(scope: TenantScope, job: JobRecord) {
  return {
    id: job.id,
    kind: job.kind,
    contextId: scope.wireId(job.contextId),
    status: job.status,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    runAfter: job.runAfter.toISOString(),
    runId: job.runId,
    error: wireRunError(job.error, scope),
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
  };
}

export function callJson(call: ModelCallRecord) {
  return { phase: call.phase, branch: call.branch, step: call.step, usage: call.usage, finishReason: call.finishReason, durationMs: call.durationMs };
}
