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
  /** Ask runs: whether the prompt prefix came from a precomputed or kept state; null when the provider did not say. */
  prefixCacheHit: boolean | null;
  /** Ask runs: from the model call's start to its first token, when the provider measured it. */
  timeToFirstTokenMs: number | null;
  /** Sleep runs: what warming the ask prompt prefix did after publishing; null when the model cannot warm. */
  prefixWarmUp: PrefixWarmUpRecord | null;
  /**
   * Why generation ended. Ask runs: the model call's unified finish reason (`stop`, `length`,
   * `tool-calls`...). Sleep runs: each branch's stop reason (`finished`, `unchanged`,
   * `max-rewrites`...), comma-separated in branch order. Null for older runs and failed ones.
   */
  finishReason: string | null;
  /** A limit cut the run's output short: its answer (or a rewrite) is not what the model would have finished. */
  truncated: boolean;
  /** Which limit, when `truncated`. */
  truncatedBy: TruncationLimit | null;
  /**
   * The usage is not the provider's report but what was known when the run was cut (a client that
   * hung up mid-stream before the usage arrived): the streamed output pieces, input unknown (0).
   */
  usagePartial: boolean;
}

/**
 * The limits that end generation early: the output token limit, the local model's wall-clock limit
 * per call, and its repetition guard (a loop repeating the same span).
 */
export type TruncationLimit = 'max-output-tokens' | 'time-limit' | 'repetition';

/** The prefix warm-up after a sleep run; its failure does not fail the run. */
export interface PrefixWarmUpRecord {
  status: 'saved' | 'already-warm' | 'requested' | 'not-kept' | 'failed';
  durationMs: number;
  prefixTokens?: number;
  stateBytes?: number;
  /**
   * What an upstream billed for the warm-up request. Kept here, not in the run's usage, which is the
   * sum of the sleep-time agent's calls.
   */
  usage?: Usage;
  error?: RunError;
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

export interface ListContextsOptions {
  prefix?: string;
  after?: string;
  limit?: number;
  /** Only ids whose part after `prefix` contains this text, ignoring ASCII case (a search box). */
  contains?: string;
}

/**
 * Limits on every context whose id starts with `prefix` (a tenant's), checked with the write under a
 * lock per prefix, so concurrent writes cannot pass them together. `id` must start with `prefix`.
 */
export interface ContextQuota {
  prefix: string;
  /** A write that would create a context beyond this many fails with `tenant_context_limit` (user). */
  maxContexts?: number;
  /** A write that would grow the contexts' text past this many bytes of UTF-8 in all fails with `tenant_storage_limit` (user). */
  maxBytes?: number;
}

export interface ContextRepository {
  /**
   * Creates the context at version 1, or replaces its text (and metadata, if given) and bumps the
   * version. A text of more than `maxBytes` bytes of UTF-8 fails with `context_too_large` (user);
   * a write past the `quota` writes nothing and fails with its code.
   */
  put(input: { id: string; text: string; metadata?: Record<string, unknown>; maxBytes?: number; quota?: ContextQuota }): Promise<ContextRecord>;
  /**
   * Appends `text` to the context (after `separator` when it already has text) in one statement, so
   * concurrent appends are all kept; creates the context at version 1 if it does not exist. An append
   * that would take the text past `maxBytes` bytes of UTF-8 writes nothing and fails with
   * `context_too_large` (user); the check is part of the write, so racing appends cannot both pass it.
   */
  append(input: { id: string; text: string; separator: string; maxBytes?: number; quota?: ContextQuota }): Promise<ContextRecord>;
  get(id: string): Promise<ContextRecord | undefined>;
  /**
   * Without options: every context, newest first. With options: contexts whose id starts with
   * `prefix`, in id order, after the id `after` (keyset paging), at most `limit`.
   */
  list(options?: ListContextsOptions): Promise<ContextRecord[]>;
  /** Deletes the context with its learned contexts, runs and calls. Returns false if it did not exist. */
  delete(id: string): Promise<boolean>;
}

export interface LearnedContextRepository {
  /** The most recently published learned context, whatever its source version. */
  latest(contextId: string): Promise<LearnedContextRecord | undefined>;
  /** Oldest first. */
  history(contextId: string): Promise<LearnedContextRecord[]>;
  /** Per selected context that has any: how many learned contexts, and the latest one's source version and time. */
  statistics(selection: ContextSelection): Promise<LearnedStatistics[]>;
}

/** The contexts a statistics query covers: these ids, or every id starting with `prefix` (a tenant's, taken literally). */
export type ContextSelection = { contextIds: readonly string[] } | { prefix: string };

export interface LearnedStatistics {
  contextId: string;
  /** Learned contexts published so far (the latest is version `versions`). */
  versions: number;
  latestSourceVersion: number;
  latestCreatedAt: Date;
}

/**
 * The runs of one context that share a kind, a status and (asks) whether a learned context was
 * used: how many, and their sums. What dashboards and savings reports are computed from.
 */
export interface RunGroupStatistics {
  contextId: string;
  kind: RunKind;
  status: RunStatus;
  /** Ask runs answered with a learned context (false: test-time only, the baseline). Always false for sleep runs. */
  withLearned: boolean;
  runs: number;
  /** Summed over the runs. */
  usage: Usage;
  /** Summed over the `timedRuns` runs that have a duration (finished ones). */
  durationMs: number;
  timedRuns: number;
  /** Summed over the `firstTokenRuns` runs that recorded a time to first token. */
  timeToFirstTokenMs: number;
  firstTokenRuns: number;
  /** Runs whose prompt prefix came from a precomputed or kept state. */
  prefixCacheHits: number;
  lastStartedAt: Date;
  lastFinishedAt: Date | null;
}

/** A page of run changes (see `RunRepository.changes`). */
export interface RunChanges {
  runs: RunRecord[];
  /** Pass it as `after` next time. An opaque position in the order runs were added. */
  cursor: number;
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
  prefixCacheHit?: boolean | null;
  timeToFirstTokenMs?: number | null;
  finishReason?: string | null;
  truncatedBy?: TruncationLimit | null;
  /**
   * Sleep runs: published in the same transaction that marks the run succeeded. With
   * `onlyIfCurrent`, the transaction fails with `superseded` (and nothing changes) when the context
   * has moved past `sourceVersion` meanwhile.
   */
  learned?: { text: string; sourceVersion: number; onlyIfCurrent?: boolean; fence?: PublishFence };
}

/**
 * Publish only while this job lease is held: a worker whose lease expired and was taken over (a long
 * pause, a partition) must not publish next to the worker that took over. Checked in the publish
 * transaction; a lost lease fails it with `lease_lost` and nothing changes.
 */
export interface PublishFence {
  jobId: string;
  owner: string;
}

export interface RunRepository {
  start(input: StartRunInput): Promise<RunRecord>;
  recordCall(call: ModelCallRecord): Promise<void>;
  /** Atomic: the run becomes `succeeded` and its learned context (if any) is published, or neither. */
  complete(runId: string, input: CompleteRunInput): Promise<{ run: RunRecord; learned?: LearnedContextRecord }>;
  /** Records the prefix warm-up that followed a (finished) sleep run. */
  recordPrefixWarmUp(runId: string, warmUp: PrefixWarmUpRecord): Promise<RunRecord>;
  /** Marks the run failed; publishes nothing. */
  /** `usagePartial`: the usage is what was known when the run was cut (the provider never reported it). */
  fail(runId: string, error: RunError, usage: Usage, options?: { usagePartial?: boolean }): Promise<RunRecord>;
  get(runId: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  list(contextId: string, options?: { limit?: number }): Promise<RunRecord[]>;
  calls(runId: string): Promise<ModelCallRecord[]>;
  /** Counts and sums of the selected contexts' runs, one entry per context, kind, status and use of a learned context. */
  statistics(selection: ContextSelection): Promise<RunGroupStatistics[]>;
  /**
   * Following the runs under `prefix` by polling. With `after` (a cursor an earlier call returned):
   * the runs added since, oldest first, at most `limit` (default 100). Without: the runs under
   * `prefix` that are running now. Either way also the runs `ids` as they are now (those a follower
   * saw running, to see them end), and a new cursor.
   */
  changes(input: { prefix: string; after?: number; ids?: readonly string[]; limit?: number }): Promise<RunChanges>;
}

/** A tenant of the HTTP service: its contexts are stored under `<tenant id>.<context id>`. */
export interface TenantRecord {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  label: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface TenantRepository {
  /** Fails with `tenant_exists` (user) if the name is taken. */
  create(input: { id: string; name: string }): Promise<TenantRecord>;
  get(id: string): Promise<TenantRecord | undefined>;
  getByName(name: string): Promise<TenantRecord | undefined>;
  count(): Promise<number>;
}

export interface ApiKeyRepository {
  /** Stores the hash of a key; the key itself is never stored. */
  create(input: { id: string; tenantId: string; keyHash: string; label?: string }): Promise<ApiKeyRecord>;
  /** The key and its tenant for a hash, unless the key is unknown or revoked. */
  findActiveByHash(keyHash: string): Promise<{ key: ApiKeyRecord; tenant: TenantRecord } | undefined>;
  /**
   * Marks the key revoked (it stops authenticating at once). Revoking a revoked key keeps its first
   * `revokedAt`. Undefined when no key has this id.
   */
  revoke(keyId: string): Promise<ApiKeyRecord | undefined>;
  /** The tenant's keys, revoked ones included, oldest first; hashes are never returned. */
  list(tenantId: string): Promise<ApiKeyRecord[]>;
}

export type JobKind = 'sleep';
export type TriggerCounterKind = 'asks' | 'appends';
export type JobStatus = 'pending' | 'running' | 'succeeded' | 'failed';

/** A durable unit of background work (a sleep run of one context), processed by a worker under a lease. */
export interface JobRecord {
  id: string;
  kind: JobKind;
  contextId: string;
  /** Jobs with the same key coalesce while pending: one pending job per key. */
  coalesceKey: string | null;
  payload: Record<string, unknown>;
  status: JobStatus;
  /** Claims so far, including the one running now. */
  attempts: number;
  maxAttempts: number;
  /** Not claimed before this time (debounce, retry backoff). */
  runAfter: Date;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  /** The run the next attempt creates (pre-assigned when triggered on demand), then the latest run. */
  runId: string | null;
  error: RunError | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EnqueueJobInput {
  kind: JobKind;
  contextId: string;
  coalesceKey?: string;
  payload?: Record<string, unknown>;
  runAfter: Date;
  /** Default 3. */
  maxAttempts?: number;
  /** Kept if the job coalesces into a pending job that has none. */
  runId?: string;
  now?: Date;
}

export interface JobRepository {
  /**
   * Adds a pending job, or, when a pending job with the same coalescing key exists, moves that job's
   * `runAfter` to this one's (a new write pushes a debounced job later) and returns it.
   */
  enqueue(input: EnqueueJobInput): Promise<{ job: JobRecord; coalesced: boolean }>;
  /**
   * Atomically takes the next due job (pending and due, or running with an expired lease) for
   * `owner` until `now + leaseMs`; one claimer wins. Skips contexts with a job under a live lease.
   * Running jobs whose lease expired with no attempts left are marked failed (`lease_expired`).
   * With `maxPerTenant`, also skips jobs whose tenant (the context id's part before its first '.')
   * already has that many jobs under a live lease, taking another tenant's instead; context ids
   * without a '.' have no tenant and are not capped.
   */
  claim(input: { owner: string; leaseMs: number; now?: Date; jobId?: string; maxPerTenant?: number }): Promise<JobRecord | undefined>;
  /**
   * Extends the lease; false when `owner` no longer holds it (expired and reclaimed, or finished).
   * `runId` records the run the attempt started, so a worker that takes the job over after a crash
   * can close that run.
   */
  heartbeat(input: { jobId: string; owner: string; leaseMs: number; now?: Date; runId?: string }): Promise<boolean>;
  /**
   * Jobs a dispatcher may have lost track of: running with an expired lease (the worker died), and
   * pending jobs due for longer than `pendingGraceMs`. Oldest first, at most `limit` (default 100).
   */
  overdue(input: { pendingGraceMs: number; now?: Date; limit?: number }): Promise<JobRecord[]>;
  /**
   * Adds one to a context's count of asks or appended turns (the every-N triggers) and returns the
   * new count; atomic, so concurrent servers never skip or repeat a number. Unknown contexts fail
   * with `context_not_found`.
   */
  countTrigger(input: { contextId: string; kind: TriggerCounterKind }): Promise<number>;
  /** Marks the job succeeded; undefined when `owner` no longer holds it. */
  complete(input: { jobId: string; owner: string; runId?: string | null; now?: Date }): Promise<JobRecord | undefined>;
  /**
   * Records a failed attempt: back to pending after `retryDelayMs` while attempts remain and `retry`
   * is not false, else failed for good. Undefined when `owner` no longer holds the lease.
   */
  fail(input: {
    jobId: string;
    owner: string;
    error: RunError;
    retryDelayMs: number;
    retry?: boolean;
    runId?: string | null;
    now?: Date;
  }): Promise<JobRecord | undefined>;
  /**
   * Puts a held job back to pending until `runAfter` without counting the attempt: a limit, not a
   * failure, stopped it (the tenant's sleep-time tokens of the day). `error` says why while it waits.
   * When another pending job has the same coalescing key, that one will do the work: this one fails
   * with `error` instead. Undefined when `owner` no longer holds the lease.
   */
  defer(input: { jobId: string; owner: string; runAfter: Date; error: RunError; now?: Date }): Promise<JobRecord | undefined>;
  get(jobId: string): Promise<JobRecord | undefined>;
  findByRunId(runId: string): Promise<JobRecord | undefined>;
  /** Newest first; only those in `status` when given; at most `limit`. */
  list(contextId: string, options?: { status?: JobStatus; limit?: number }): Promise<JobRecord[]>;
  /** Jobs of contexts whose id starts with `prefix` updated at or after `since`, oldest update first, at most `limit` (default 100). */
  changedSince(input: { prefix: string; since: Date; limit?: number }): Promise<JobRecord[]>;
}

/**
 * Sleep-time tokens counted per tenant (a context id prefix, see `tenantPrefixOf`) per UTC day
 * (`YYYY-MM-DD`). Kept apart from runs, which go with their context: deleting contexts does not
 * lower a tenant's count.
 */
export interface SleepTokenRepository {
  /** Adds `tokens` (a whole number of at least 0) to the tenant's count of `day` in one statement; returns the new count. */
  add(input: { tenant: string; day: string; tokens: number }): Promise<number>;
  /** The tenant's count of `day`; 0 when nothing was counted. */
  get(input: { tenant: string; day: string }): Promise<number>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly jobs: JobRepository;
  readonly contexts: ContextRepository;
  readonly learned: LearnedContextRepository;
  readonly runs: RunRepository;
  readonly tenants: TenantRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly sleepTokens: SleepTokenRepository;
  close(): Promise<void>;
}

export type StoreConfig = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };
