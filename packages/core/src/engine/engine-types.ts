/**
 * The engine's contract: what `createEngine` returns and the shapes of its results and events. The
 * engine is the one way into contexts, learned contexts and runs; the HTTP API, the proxy, the job
 * runner and the CLI only translate to and from it.
 */
import type { ReasoningEffort, SleeptimeModel } from '../models/types.js';
import type { Usage } from '../models/usage.js';
import type {
  ContextQuota,
  ContextRecord,
  ContextSelection,
  LearnedContextRecord,
  LearnedStatistics,
  ListContextsOptions,
  ModelCallRecord,
  PrefixWarmUpRecord,
  PublishFence,
  RunChanges,
  RunError,
  RunGroupStatistics,
  RunRecord,
  Store,
  TruncationLimit,
} from '../store/types.js';
import type {
  AppendContent,
  AskBudget,
  ContextContent,
  LearnedDiffOptions,
  RunsOptions,
  SleepBudget,
} from './option-schemas.js';
import type { SleepProtocol } from './prompts.js';
import type { RepositoryAccess } from './repository-metadata.js';
import type { SleepStopReason } from './sleep-agent-types.js';

export interface EngineOptions {
  store: Store;
  /**
   * The model, or a function that makes it. A function is called once, the first time a sleep or an
   * ask has passed validation, so bad input or an unknown context never waits for a model to load.
   */
  model: SleeptimeModel | (() => Promise<SleeptimeModel>);
  /** Clock for durations and latencies, in milliseconds. */
  now?: () => number;
  /**
   * Largest text a context may hold after a put or an append, in bytes of UTF-8 (default
   * `defaultMaxContextBytes`, 4 MiB). A larger write is refused with `context_too_large`, nothing written.
   */
  maxContextBytes?: number;
  /**
   * Which repositories repository contexts (metadata key `repository`) may name: `any` (default: a
   * local user, the CLI) or `{ roots }`, only folders inside one of them (none: no repository
   * contexts); checked on every put that sets the key, `repository_not_allowed`, and before every
   * sleep of such a context. The HTTP service passes its `--repositories-root` folders.
   */
  repositoryAccess?: RepositoryAccess;
  /** Where a sleep on a repository context makes its throwaway worktree (default: the system's temporary folder). */
  repositoryWorktreeDir?: string;
}

export type PutContextInput = ContextContent & { id: string };
export type AppendContextInput = AppendContent & { id: string };

/** How one put or append is limited beyond `maxContextBytes`: the HTTP service sets the tenant's quota. */
export interface ContextWriteOptions {
  quota?: ContextQuota;
}

export type SleepProgressEvent =
  | { type: 'branch-started'; branch: number; branches: number }
  | { type: 'model-call'; branch: number; step: number; usage: Usage; durationMs: number; finishReason: string }
  | { type: 'rewrite'; branch: number; rewrites: number; maxRewrites: number }
  | { type: 'branch-finished'; branch: number; rewrites: number; stopReason: SleepStopReason; usage: Usage };

/** A sleep's budget (see `SleepBudget`) and how the caller follows and controls the run. */
export interface SleepOptions extends SleepBudget {
  signal?: AbortSignal | undefined;
  /** Errors thrown by this callback are ignored: a progress display must not break a run. */
  onProgress?: ((event: SleepProgressEvent) => void) | undefined;
  /**
   * Called once the run row exists, before any model call: lets a caller that runs the sleep in the
   * background answer with the run id while input errors still reach it as rejections. Errors are ignored.
   */
  onStarted?: ((run: RunRecord) => void) | undefined;
  /**
   * Publish only if the context is still at the version the run read; otherwise the run is marked
   * failed with code `superseded` (and that error thrown). The service's jobs set this.
   */
  onlyIfCurrent?: boolean | undefined;
  /** The id the run row gets (a job pre-assigns it so a caller can follow the run before it starts). */
  runId?: string | undefined;
  /** Publish only while this job lease is held (see `PublishFence`); the service's jobs set this. */
  publishFence?: PublishFence | undefined;
  /**
   * The tenant's daily budget of sleep-time tokens (input + output of its sleep-time calls since
   * 00:00 UTC; the tenant is the context id's part before its first '.'): a sleep starts only while
   * the tenant is below it, else it fails with `sleep_token_limit` (user) before any model is made or
   * run is started. A sleep in progress may end over it. The service's jobs set this; contexts
   * without a tenant have no limit.
   */
  maxTokensPerTenantPerDay?: number | undefined;
}

/** A tenant's sleep-time tokens of the current UTC day (see `SleepOptions.maxTokensPerTenantPerDay`). */
export interface SleepTokenUsage {
  /** The tenant's context id prefix, dot included (`t1.`). */
  tenant: string;
  /** The UTC day counted, `YYYY-MM-DD`. */
  day: string;
  /** Input + output tokens of the tenant's sleep-time calls that day (reasoning tokens are part of the output). */
  tokens: number;
  /** The next 00:00 UTC, when a new day's count starts. */
  resetsAt: Date;
}

export interface SleepBranchResult {
  branch: number;
  memory: string;
  rewrites: number;
  stopReason: SleepStopReason;
  /** `tools` or `text` (see SleepProtocolChoice). */
  protocol: SleepProtocol;
  /** Why rewrites were refused (empty, too short, a parameter name...), in order. */
  refusals: string[];
  /** Calls of the exploration tools (a repository context's list_files, read_file, search); 0 for other contexts. */
  explorationCalls: number;
  usage: Usage;
  durationMs: number;
}

export interface SleepResult {
  runId: string;
  contextId: string;
  sourceVersion: number;
  learned: string;
  learnedContextId: number;
  /** Sum over all sleep-time calls of all branches. */
  usage: Usage;
  branches: SleepBranchResult[];
  /**
   * What precomputing the ask prompt prefix did after publishing (models that can, see
   * `SleeptimeModel.warmPrefix`); a failed warm-up is reported here and on the run, and does not
   * fail the sleep.
   */
  prefixWarmUp?: PrefixWarmUpRecord;
  /** Includes the prefix warm-up. */
  durationMs: number;
}

/** An ask's budget (see `AskBudget`) and its cancellation. */
export interface AskOptions extends AskBudget {
  signal?: AbortSignal | undefined;
}

/** What every test-time call (an ask or a chat) reports beside its answer. */
export interface TestTimeOutcome {
  runId: string;
  contextId: string;
  /** true: learned context made from the current version; false: stale; null: none used. */
  fresh: boolean | null;
  learnedContextId: number | null;
  learnedSourceVersion: number | null;
  contextVersion: number;
  /** Sum over the test-time calls. */
  usage: Usage;
  /** Wall time of the test-time model call(s), store writes excluded. */
  latencyMs: number;
  /** Whether the prompt prefix came from a precomputed or kept state (or the provider's cache); null when the provider did not say. */
  prefixCacheHit: boolean | null;
  /**
   * From the start of the model call to its first token: as the provider measured it, else (streams)
   * as the engine saw the first piece arrive; null when unknown.
   */
  timeToFirstTokenMs: number | null;
  /** The AI SDK's unified finish reason: `stop`, `length`, `tool-calls`, `content-filter`, ... */
  finishReason: string;
  /** A limit cut the answer short (finish reason `length`): it is not the answer the model would have finished. */
  truncated: boolean;
  /** Which limit: the output token limit, or the local model's time limit or repetition guard. */
  truncatedBy: TruncationLimit | null;
}

export interface AskResult extends TestTimeOutcome {
  question: string;
  answer: string;
  final: string | null;
}

/** A tool call the model made; the engine never runs it (the caller does, and sends the result back). */
export interface ChatToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text, as the model wrote them (kept as is when they do not parse). */
  arguments: string;
}

export interface ChatResult extends TestTimeOutcome {
  text: string;
  toolCalls: ChatToolCall[];
}

/** A tool call of an earlier assistant message, with its parsed arguments. */
export interface ChatMessageToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** A message of a conversation, in the engine's own terms (a proxy converts its wire format to these). */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ChatMessageToolCall[] | undefined }
  /** The result of an earlier tool call, which the caller ran. */
  | { role: 'tool'; toolCallId: string; toolName: string; content: string };

/** A function the model may call; the engine never runs it: the call comes back in the result. */
export interface ChatTool {
  name: string;
  description?: string | undefined;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  strict?: boolean | undefined;
}

export type ChatToolChoice = 'auto' | 'none' | 'required' | { toolName: string };

/**
 * A conversation about a context, as an OpenAI-compatible proxy receives it: the engine puts the
 * learned context before the caller's messages and makes one model call (tools are not run).
 */
export interface ChatRequest {
  /** The conversation, the caller's own system messages included. */
  messages: ChatMessage[];
  tools?: ChatTool[] | undefined;
  toolChoice?: ChatToolChoice | undefined;
  parallelToolCalls?: boolean | undefined;
  maxOutputTokens?: number | undefined;
  effort?: ReasoningEffort | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  seed?: number | undefined;
  stopSequences?: string[] | undefined;
  /** false leaves the learned context out (a stale one, under the `without` policy). Default true. */
  useLearned?: boolean | undefined;
  /** The text recorded as the run's question (default: the last user message's text). */
  question?: string | undefined;
  /** Extra settings recorded on the run, e.g. which wire API it came through. */
  runSettings?: Record<string, unknown> | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The pieces of a streamed answer. Each tool call arrives as one `tool-call-start`, then
 * `tool-call-delta`s whose concatenation is its arguments, then (at the end) the `finish` event
 * with the complete result.
 */
export type TestTimeStreamEvent<Result> =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call-start'; index: number; id: string; name: string }
  | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  | { type: 'finish'; result: Result };

/**
 * A streamed ask or chat whose run has started: setup errors (unknown context, bad budget) were
 * thrown by the call that returned it. Iterating `events` drives the model call; a failure or
 * cancellation fails the run and is thrown by the iterator as a `SleeptimeError`.
 */
export interface TestTimeStream<Result> {
  runId: string;
  contextId: string;
  fresh: boolean | null;
  learnedSourceVersion: number | null;
  contextVersion: number;
  events: AsyncIterable<TestTimeStreamEvent<Result>>;
}

export type AskStream = TestTimeStream<AskResult>;
export type ChatStream = TestTimeStream<ChatResult>;

/** A learned context with its version number (1, 2, ... in publication order) and freshness. */
export interface LearnedContextVersion {
  record: LearnedContextRecord;
  version: number;
  /** Made from the context's current version. */
  fresh: boolean;
}

export interface LearnedHistory {
  context: ContextRecord;
  /** Oldest first. */
  versions: LearnedContextVersion[];
}

export interface LearnedDiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Unified diff lines: ' ' kept, '-' removed, '+' added. */
  lines: string[];
}

export interface LearnedDiff {
  from: number;
  to: number;
  added: number;
  removed: number;
  hunks: LearnedDiffHunk[];
}

/** What `contextStatistics` tells of one context: entries only for contexts with a learned context or a run. */
export interface ContextStatistics {
  contextId: string;
  learned: LearnedStatistics | null;
  runs: RunGroupStatistics[];
}

export interface Engine {
  putContext(input: PutContextInput, options?: ContextWriteOptions): Promise<ContextRecord>;
  /** Appends in one statement (concurrent appends are all kept); creates the context if new. */
  appendContext(input: AppendContextInput, options?: ContextWriteOptions): Promise<ContextRecord>;
  getContext(id: string): Promise<ContextRecord>;
  /** Without options: every context, newest first. With options: by id prefix, in id order, paged. */
  listContexts(options?: ListContextsOptions): Promise<ContextRecord[]>;
  /** Deletes the context with its learned contexts, runs and model calls. */
  deleteContext(id: string): Promise<void>;

  sleep(contextId: string, options?: SleepOptions): Promise<SleepResult>;
  /**
   * The check a sleep with `maxTokensPerTenantPerDay` makes before it starts, on its own: throws
   * `sleep_token_limit` (user) when the tenant of `contextId` is at or over `maxTokensPerTenantPerDay`
   * today (a caller that queues sleeps refuses the request up front). Undefined limit: no check.
   */
  checkSleepTokens(contextId: string, maxTokensPerTenantPerDay: number | undefined): Promise<void>;
  /** A tenant's sleep-time tokens today; `tenant` is its context id prefix, dot included. */
  sleepTokenUsage(tenant: string): Promise<SleepTokenUsage>;

  ask(contextId: string, question: string, options?: AskOptions): Promise<AskResult>;
  /** The same ask, its answer streamed as it is made. */
  streamAsk(contextId: string, question: string, options?: AskOptions): Promise<AskStream>;
  chat(contextId: string, request: ChatRequest): Promise<ChatResult>;
  streamChat(contextId: string, request: ChatRequest): Promise<ChatStream>;

  /** The latest learned context, whatever its source version; undefined when there is none yet. */
  learnedContext(contextId: string): Promise<{ record: LearnedContextRecord; fresh: boolean } | undefined>;
  learnedHistory(contextId: string): Promise<LearnedHistory>;
  /** Line diff between two learned versions; `learned_version_not_found` when one does not exist. */
  learnedDiff(contextId: string, options?: LearnedDiffOptions): Promise<LearnedDiff>;

  /** Newest first. */
  runs(contextId: string, options?: RunsOptions): Promise<RunRecord[]>;
  /** Undefined when no run has this id. */
  getRun(runId: string): Promise<RunRecord | undefined>;
  runCalls(runId: string): Promise<ModelCallRecord[]>;
  /** Per selected context: its learned contexts (how many, the latest) and its runs in groups, for dashboards and savings reports. */
  contextStatistics(selection: ContextSelection): Promise<ContextStatistics[]>;
  /** Following the runs under a prefix by polling (see `RunRepository.changes`). */
  runChanges(input: { prefix: string; after?: number; ids?: readonly string[]; limit?: number }): Promise<RunChanges>;
  /**
   * Closes a run left `running` by a process that died (its job was taken over): it is marked failed
   * with `error`. False when the run is not running (it finished meanwhile) or does not exist.
   */
  abandonRun(runId: string, error: RunError): Promise<boolean>;
}
