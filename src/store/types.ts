import type { Usage } from '../models/usage.js';

/** A context the model thinks about: a document, a conversation, a problem statement. */
export interface ContextRecord {
  id: string;
  text: string;
  /** Starts at 1 and grows by one with every write. */
  version: number;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** What a successful sleep run published: the rewritten context `c'`. */
export interface LearnedContextRecord {
  id: number;
  contextId: string;
  /** The context version the run read; the learned context is fresh while this is current. */
  sourceVersion: number;
  text: string;
  runId: string;
  createdAt: Date;
}

export type RunKind = 'sleep' | 'ask';
export type RunStatus = 'running' | 'succeeded' | 'failed';
export type Phase = 'sleep' | 'test';

export interface RunError {
  code: string;
  message: string;
}

export interface RunRecord {
  id: string;
  contextId: string;
  kind: RunKind;
  status: RunStatus;
  /** The model spec string, e.g. `openai:gpt-4o-mini` or `llama:/models/x.gguf`. */
  model: string;
  /** Options the run was started with (budgets, k, flags), for reproducing it. */
  settings: Record<string, unknown>;
  sourceVersion: number;
  question: string | null;
  answer: string | null;
  final: string | null;
  /** Ask runs: whether the learned context used was made from the current context version. */
  fresh: boolean | null;
  learnedContextId: number | null;
  /** Sum over the run's model calls. */
  usage: Usage;
  error: RunError | null;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
}

/** One model call within a run, with usage exactly as the provider reported it. */
export interface ModelCallRecord {
  runId: string;
  phase: Phase;
  /** Parallel sleep branch (0..k-1); 0 for asks. */
  branch: number;
  /** Order of the call within its branch. */
  step: number;
  usage: Usage;
  rawUsage: unknown;
  finishReason: string;
  durationMs: number;
}

export interface ContextRepository {
  /** Creates the context at version 1, or replaces its text (and metadata, if given) and bumps the version. */
  put(input: { id: string; text: string; metadata?: Record<string, unknown> }): Promise<ContextRecord>;
  get(id: string): Promise<ContextRecord | undefined>;
  list(): Promise<ContextRecord[]>;
  /** Deletes the context with its learned contexts, runs and calls. Returns false if it did not exist. */
  delete(id: string): Promise<boolean>;
}

export interface LearnedContextRepository {
  /** The most recently published learned context, whatever its source version. */
  latest(contextId: string): Promise<LearnedContextRecord | undefined>;
  /** Oldest first. */
  history(contextId: string): Promise<LearnedContextRecord[]>;
}

export interface StartRunInput {
  id?: string;
  contextId: string;
  kind: RunKind;
  model: string;
  settings: Record<string, unknown>;
  sourceVersion: number;
  question?: string;
}

export interface CompleteRunInput {
  usage: Usage;
  answer?: string;
  final?: string | null;
  fresh?: boolean;
  learnedContextId?: number | null;
  /** Sleep runs: published in the same transaction that marks the run succeeded. */
  learned?: { text: string; sourceVersion: number };
}

export interface RunRepository {
  start(input: StartRunInput): Promise<RunRecord>;
  recordCall(call: ModelCallRecord): Promise<void>;
  /** Atomic: the run becomes `succeeded` and its learned context (if any) is published, or neither. */
  complete(runId: string, input: CompleteRunInput): Promise<{ run: RunRecord; learned?: LearnedContextRecord }>;
  /** Marks the run failed; publishes nothing. */
  fail(runId: string, error: RunError, usage: Usage): Promise<RunRecord>;
  get(runId: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  list(contextId: string, options?: { limit?: number }): Promise<RunRecord[]>;
  calls(runId: string): Promise<ModelCallRecord[]>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly contexts: ContextRepository;
  readonly learned: LearnedContextRepository;
  readonly runs: RunRepository;
  close(): Promise<void>;
}

export type StoreConfig = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };
