/** The JSON the dashboard reads from the `/v1` API (see packages/service/src/server/wire-shapes.ts and the routes). */
import type { AskSide, Savings } from '../../src/server/statistics/savings.js';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}

export interface ContextEntry {
  id: string;
  version: number;
  characters: number;
  updatedAt: string;
  learned: { versions: number; sourceVersion: number; fresh: boolean; createdAt: string } | null;
  lastSleep: { status: RunStatus; startedAt: string } | null;
  asks: number;
}

export interface ContextPage {
  data: ContextEntry[];
  nextCursor: string | null;
}

export interface ContextRecord {
  id: string;
  version: number;
  text: string;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface LearnedVersion {
  contextId: string;
  version: number;
  sourceVersion: number;
  fresh: boolean;
  text: string;
  runId: string;
  createdAt: string;
}

export interface LearnedDiff {
  from: number;
  to: number;
  added: number;
  removed: number;
  hunks: { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[] }[];
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface Run {
  id: string;
  jobId?: string;
  contextId: string;
  kind: 'sleep' | 'ask';
  status: RunStatus;
  model: string | null;
  settings: Record<string, unknown>;
  sourceVersion: number;
  question: string | null;
  answer: string | null;
  final: string | null;
  fresh: boolean | null;
  usage: Usage;
  error: { code: string; message: string } | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  finishReason: string | null;
  truncated: boolean;
  truncatedBy: string | null;
  usagePartial: boolean;
  prefixCacheHit: boolean | null;
  timeToFirstTokenMs: number | null;
  prefixWarmUp: { status: string; durationMs: number; prefixTokens?: number; usage?: Usage; error?: { code: string; message: string } } | null;
}

export interface ModelCall {
  phase: 'sleep' | 'test';
  branch: number;
  step: number;
  usage: Usage;
  finishReason: string;
  durationMs: number;
}

export interface Job {
  id: string;
  kind: 'sleep';
  contextId: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  attempts: number;
  maxAttempts: number;
  runAfter: string;
  runId: string | null;
  error: { code: string; message: string } | null;
  createdAt: string;
  updatedAt: string;
}

// The server's own savings shapes (numbers and nulls only: the same in JSON as in memory).
export type { AskSide, Savings };

export interface SavingsPage {
  testTokenWeight: number;
  overall: Savings & { contexts: number };
  data: (Savings & { contextId: string })[];
  nextCursor: string | null;
}

export interface AskAnswer {
  runId: string;
  answer: string;
  final: string | null;
  fresh: boolean | null;
  usage: Usage;
  latencyMs: number;
  finishReason: string;
  truncated: boolean;
  truncatedBy: string | null;
}

export type LiveEvent = { type: 'run'; run: Run } | { type: 'job'; job: Job };
