import { generateText } from 'ai';
import { z } from 'zod';
import { SleeptimeError, systemError, upstreamError, userError } from '../errors.js';
import { readPrefixCacheReport } from '../models/prefix-cache-report.js';
import type { CallSettings, ReasoningEffort, SleeptimeModel } from '../models/types.js';
import { sumUsage, type Usage } from '../models/usage.js';
import type {
  ContextRecord,
  LearnedContextRecord,
  ModelCallRecord,
  Phase,
  PrefixWarmUpRecord,
  PublishFence,
  RunRecord,
  Store,
} from '../store/types.js';
import { extractFinalAnswer } from './final-answer.js';
import { buildAskPrompt, buildAskSystemPrompt, concatenateLearnedContexts, type Verbosity } from './prompts.js';
import { withCallRecording, type RecordedModelCall } from './recording-model.js';
import { defaultMaxRewrites, runSleepAgent, type SleepStopReason } from './sleep-agent.js';

/** k parallel sleep runs at temperature 0 would mostly write the same memory k times. */
export const defaultParallelSleepTemperature = 0.7;
export const defaultVerbosity: Verbosity = 3;

export interface EngineOptions {
  store: Store;
  /**
   * The model, or a function that makes it. A function is called once, the first time a sleep or an
   * ask has passed validation, so bad input or an unknown context never waits for a model to load.
   */
  model: SleeptimeModel | (() => Promise<SleeptimeModel>);
  /** Clock for durations and latencies, in milliseconds. */
  now?: () => number;
}

export interface PutContextInput {
  id: string;
  text: string;
  metadata?: Record<string, unknown>;
}

export type SleepProgressEvent =
  | { type: 'branch-started'; branch: number; branches: number }
  | { type: 'model-call'; branch: number; step: number; usage: Usage }
  | { type: 'rewrite'; branch: number; rewrites: number; maxRewrites: number }
  | { type: 'branch-finished'; branch: number; rewrites: number; stopReason: SleepStopReason; usage: Usage };

export interface SleepOptions {
  /** Number of independent sleep runs (k), 1..16; their memories are concatenated in branch order. */
  parallel?: number;
  effort?: ReasoningEffort;
  /** Rewrites allowed per branch, 1..50. */
  maxRewrites?: number;
  /** Example questions to prepare for. */
  examples?: string[];
  maxOutputTokens?: number;
  /** Defaults to 0 for k = 1 and to `defaultParallelSleepTemperature` for k > 1. */
  temperature?: number;
  signal?: AbortSignal;
  /** Errors thrown by this callback are ignored: a progress display must not break a run. */
  onProgress?: (event: SleepProgressEvent) => void;
  /**
   * Called once the run row exists, before any model call: lets a caller that runs the sleep in the
   * background answer with the run id while input errors still reach it as rejections. Errors are ignored.
   */
  onStarted?: (run: RunRecord) => void;
  /**
   * Publish only if the context is still at the version the run read; otherwise the run is marked
   * failed with code `superseded` (and that error thrown). The service's jobs set this.
   */
  onlyIfCurrent?: boolean;
  /** The id the run row gets (a job pre-assigns it so a caller can follow the run before it starts). */
  runId?: string;
  /** Publish only while this job lease is held (see `PublishFence`); the service's jobs set this. */
  publishFence?: PublishFence;
}

export interface SleepBranchResult {
  branch: number;
  memory: string;
  rewrites: number;
  stopReason: SleepStopReason;
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

export interface AskOptions {
  /** Answering style 0 (state the answer) .. 4 (reason thoroughly); default 3. */
  verbosity?: Verbosity;
  effort?: ReasoningEffort;
  thinkingBudget?: number;
  maxOutputTokens?: number;
  /** Put the latest learned context in the prompt (default true); false is the test-time-only baseline. */
  useLearned?: boolean;
  /** Put the raw context in the prompt (default true, as in the paper's code). */
  includeContext?: boolean;
  /** Default 0. */
  temperature?: number;
  signal?: AbortSignal;
}

export interface AskResult {
  runId: string;
  contextId: string;
  question: string;
  answer: string;
  final: string | null;
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
  /** From the start of the model call to its first token, when the provider measured it. */
  timeToFirstTokenMs: number | null;
}

export interface Engine {
  putContext(input: PutContextInput): Promise<ContextRecord>;
  getContext(id: string): Promise<ContextRecord>;
  listContexts(): Promise<ContextRecord[]>;
  deleteContext(id: string): Promise<void>;
  sleep(contextId: string, options?: SleepOptions): Promise<SleepResult>;
  ask(contextId: string, question: string, options?: AskOptions): Promise<AskResult>;
  /** Newest first. */
  runs(contextId: string, options?: { limit?: number }): Promise<RunRecord[]>;
  runCalls(runId: string): Promise<ModelCallRecord[]>;
  learnedContext(contextId: string): Promise<{ record: LearnedContextRecord; fresh: boolean } | undefined>;
}

// ---------------------------------------------------------------------------------------------------
// Validation at the boundary: every input is checked before anything is written.

const contextIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const putContextSchema = z.object({
  id: z.string().regex(contextIdPattern),
  text: z.string().refine((text) => text.trim() !== ''),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const positiveInteger = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const effortSchema = z.enum(['low', 'medium', 'high']);
const temperatureSchema = z.number().min(0).max(2);

const sleepOptionsSchema = z.object({
  parallel: z.number().int().min(1).max(16).optional(),
  effort: effortSchema.optional(),
  maxRewrites: z.number().int().min(1).max(50).optional(),
  examples: z.array(z.string()).optional(),
  maxOutputTokens: positiveInteger.optional(),
  temperature: temperatureSchema.optional(),
});

const askOptionsSchema = z.object({
  verbosity: z.number().int().min(0).max(4).optional(),
  effort: effortSchema.optional(),
  thinkingBudget: positiveInteger.optional(),
  maxOutputTokens: positiveInteger.optional(),
  useLearned: z.boolean().optional(),
  includeContext: z.boolean().optional(),
  temperature: temperatureSchema.optional(),
});

const runsOptionsSchema = z.object({ limit: positiveInteger.optional() });

/** What each option must be, for error messages that say how to fix the input. */
const optionRanges: Record<string, { code: string; range: string }> = {
  parallel: { code: 'invalid_budget', range: 'an integer from 1 to 16' },
  maxRewrites: { code: 'invalid_budget', range: 'an integer from 1 to 50' },
  effort: { code: 'invalid_budget', range: 'one of low, medium, high' },
  verbosity: { code: 'invalid_budget', range: 'an integer from 0 to 4' },
  maxOutputTokens: { code: 'invalid_budget', range: 'a positive integer' },
  thinkingBudget: { code: 'invalid_budget', range: 'a positive integer' },
  temperature: { code: 'invalid_option', range: 'a number from 0 to 2' },
  examples: { code: 'invalid_option', range: 'a list of strings' },
  useLearned: { code: 'invalid_option', range: 'true or false' },
  includeContext: { code: 'invalid_option', range: 'true or false' },
  limit: { code: 'invalid_option', range: 'a positive integer' },
};

function parseOptions<Schema extends z.ZodType>(schema: Schema, value: unknown): z.infer<Schema> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? 'options');
  const expected = optionRanges[field];
  if (expected === undefined) throw userError('invalid_option', `Invalid option ${field}: ${issue?.message ?? 'invalid value'}`, { field });
  throw userError(expected.code, `${field} must be ${expected.range}`, { field, range: expected.range });
}

// ---------------------------------------------------------------------------------------------------
// Errors

function abortedError(what: string, cause: unknown): SleeptimeError {
  return new SleeptimeError({ code: 'aborted', category: 'user', message: `The ${what} was cancelled`, cause });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Store failures are this machine's problem: tag them before they mix with model errors. */
async function storeCall<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (SleeptimeError.isInstance(error)) throw error;
    throw systemError('store_failed', `Store failed to ${action}: ${describe(error)}`, error);
  }
}

function asModelFailure(error: unknown, code: string, what: string, signal: AbortSignal | undefined): SleeptimeError {
  if (SleeptimeError.isInstance(error)) return error;
  if (signal?.aborted === true) return abortedError(what, error);
  return upstreamError(code, `The ${what} failed: ${describe(error)}`, { cause: error });
}

/** Stored settings and budgets carry only the knobs that were set. */
function withoutUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

function toCallRecord(runId: string, phase: Phase, branch: number, call: RecordedModelCall): ModelCallRecord {
  return {
    runId,
    phase,
    branch,
    step: call.step,
    usage: call.usage,
    rawUsage: call.rawUsage,
    finishReason: call.finishReason,
    durationMs: call.durationMs,
  };
}

// ---------------------------------------------------------------------------------------------------

export function createEngine(options: EngineOptions): Engine {
  const { store } = options;
  const now = options.now ?? Date.now;

  let modelPromise: Promise<SleeptimeModel> | undefined;
  function loadModel(): Promise<SleeptimeModel> {
    const source = options.model;
    if (typeof source !== 'function') return Promise.resolve(source);
    modelPromise ??= source().catch((error: unknown) => {
      // Let a later call try again (e.g. after the network comes back).
      modelPromise = undefined;
      if (SleeptimeError.isInstance(error)) throw error;
      throw systemError('model_load_failed', `Could not load the model: ${describe(error)}`, error);
    });
    return modelPromise;
  }

  async function requireContext(id: string): Promise<ContextRecord> {
    const context = await storeCall('read a context', () => store.contexts.get(id));
    if (context === undefined) throw userError('context_not_found', `No context with id "${id}"`, { contextId: id });
    return context;
  }

  /** Marks the run failed with what it spent; a store that cannot even do that must not hide the cause. */
  async function failRun(runId: string, error: SleeptimeError, usage: Usage): Promise<void> {
    try {
      await store.runs.fail(runId, { code: error.code, message: error.message }, usage);
    } catch {
      // The original error is what the caller needs; the run stays 'running' in the store.
    }
  }

  async function putContext(input: PutContextInput): Promise<ContextRecord> {
    const parsed = putContextSchema.safeParse(input);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path[0];
      if (field === 'id') {
        throw userError(
          'invalid_context_id',
          `Invalid context id "${String(input?.id)}": use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
          { contextId: input?.id },
        );
      }
      if (field === 'text') throw userError('empty_context_text', 'Context text is empty');
      throw userError('invalid_context_metadata', 'Context metadata must be an object');
    }
    return storeCall('write a context', () => store.contexts.put(withoutUndefined(parsed.data)));
  }

  async function sleep(contextId: string, sleepOptions: SleepOptions = {}): Promise<SleepResult> {
    const parsed = parseOptions(sleepOptionsSchema, {
      parallel: sleepOptions.parallel,
      effort: sleepOptions.effort,
      maxRewrites: sleepOptions.maxRewrites,
      examples: sleepOptions.examples,
      maxOutputTokens: sleepOptions.maxOutputTokens,
      temperature: sleepOptions.temperature,
    });
    const parallel = parsed.parallel ?? 1;
    const maxRewrites = parsed.maxRewrites ?? defaultMaxRewrites;
    const temperature = parsed.temperature ?? (parallel > 1 ? defaultParallelSleepTemperature : 0);
    const context = await requireContext(contextId);
    const model = await loadModel();
    // May throw a user error for a knob this provider lacks: before any run is started.
    const callSettings: CallSettings = model.callSettings(
      withoutUndefined({ maxOutputTokens: parsed.maxOutputTokens, effort: parsed.effort }),
    );
    if (sleepOptions.signal?.aborted === true) throw abortedError('sleep run', sleepOptions.signal.reason);

    const startedAt = now();
    const run = await storeCall('start a run', () =>
      store.runs.start({
        ...(sleepOptions.runId === undefined ? {} : { id: sleepOptions.runId }),
        contextId,
        kind: 'sleep',
        model: model.spec,
        settings: withoutUndefined({
          parallel,
          effort: parsed.effort,
          maxRewrites,
          examples: parsed.examples,
          maxOutputTokens: parsed.maxOutputTokens,
          temperature,
        }),
        sourceVersion: context.version,
      }),
    );

    try {
      sleepOptions.onStarted?.(run);
    } catch {
      // See SleepOptions.onStarted.
    }

    const progress = (event: SleepProgressEvent): void => {
      try {
        sleepOptions.onProgress?.(event);
      } catch {
        // See SleepOptions.onProgress.
      }
    };

    // One branch failing stops the others: their result could not be published anyway.
    const siblings = new AbortController();
    const branchSignal =
      sleepOptions.signal === undefined ? siblings.signal : AbortSignal.any([sleepOptions.signal, siblings.signal]);
    const callsSoFar: RecordedModelCall[] = [];
    let firstFailure: unknown;

    const runBranch = async (branch: number): Promise<SleepBranchResult> => {
      progress({ type: 'branch-started', branch, branches: parallel });
      const branchCalls: RecordedModelCall[] = [];
      const result = await runSleepAgent({
        languageModel: model.languageModel,
        contextText: context.text,
        examples: parsed.examples,
        maxRewrites,
        callSettings,
        temperature,
        signal: branchSignal,
        now,
        onCall: async (call) => {
          callsSoFar.push(call);
          branchCalls.push(call);
          await storeCall('record a model call', () => store.runs.recordCall(toCallRecord(run.id, 'sleep', branch, call)));
          progress({ type: 'model-call', branch, step: call.step, usage: call.usage });
        },
        onRewrite: (rewrites) => progress({ type: 'rewrite', branch, rewrites, maxRewrites }),
      });
      const usage = sumUsage(result.calls.map((call) => call.usage));
      progress({ type: 'branch-finished', branch, rewrites: result.rewrites, stopReason: result.stopReason, usage });
      return {
        branch,
        memory: result.memory,
        rewrites: result.rewrites,
        stopReason: result.stopReason,
        usage,
        durationMs: result.durationMs,
      };
    };

    const settled = await Promise.allSettled(
      Array.from({ length: parallel }, (_, branch) =>
        runBranch(branch).catch((error: unknown) => {
          if (firstFailure === undefined) firstFailure = error;
          siblings.abort();
          throw error;
        }),
      ),
    );

    const spent = (): Usage => sumUsage(callsSoFar.map((call) => call.usage));
    const failWith = async (error: SleeptimeError): Promise<never> => {
      await failRun(run.id, error, spent());
      throw error;
    };

    if (firstFailure !== undefined) {
      await failWith(asModelFailure(firstFailure, 'sleep_failed', 'sleep run', sleepOptions.signal));
    }
    const branches = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));

    // A branch that never rewrote its memory has nothing to say; an empty learned context would only
    // displace a useful older one.
    const memories = branches.filter((branch) => branch.rewrites > 0 && branch.memory.trim() !== '').map((branch) => branch.memory);
    if (memories.length === 0) {
      await failWith(
        upstreamError('empty_learned_context', 'The model wrote no memory during the sleep run; the previous learned context is kept', {
          details: { stopReasons: branches.map((branch) => branch.stopReason) },
        }),
      );
    }
    const learnedText = concatenateLearnedContexts(memories);
    const usage = spent();

    let published: Awaited<ReturnType<Store['runs']['complete']>>;
    try {
      published = await storeCall('publish the learned context', () =>
        store.runs.complete(run.id, { usage, learned: {
            text: learnedText,
            sourceVersion: context.version,
            onlyIfCurrent: sleepOptions.onlyIfCurrent === true,
            ...(sleepOptions.publishFence === undefined ? {} : { fence: sleepOptions.publishFence }),
          },
        }),
      );
    } catch (error) {
      return failWith(asModelFailure(error, 'store_failed', 'sleep run', sleepOptions.signal));
    }
    if (published.learned === undefined) {
      // The run is already marked succeeded; this is a store bug, not a failed run.
      throw systemError('store_failed', 'The store completed the sleep run without publishing its learned context');
    }

    const prefixWarmUp = await warmAskPrefix(model, run.id, learnedText, context.text, sleepOptions.signal);

    return {
      runId: run.id,
      contextId,
      sourceVersion: context.version,
      learned: learnedText,
      learnedContextId: published.learned.id,
      usage,
      branches,
      ...(prefixWarmUp === undefined ? {} : { prefixWarmUp }),
      durationMs: Math.max(0, now() - startedAt),
    };
  }

  /**
   * After a sleep publishes: lets the model precompute the prompt prefix of the asks to come (the
   * default layout: learned context and raw context). A failure is recorded on the run, never thrown:
   * the learned context is already published and asks work without the warm prefix.
   */
  async function warmAskPrefix(
    model: SleeptimeModel,
    runId: string,
    learnedText: string,
    contextText: string,
    signal: AbortSignal | undefined,
  ): Promise<PrefixWarmUpRecord | undefined> {
    if (model.warmPrefix === undefined) return undefined;
    const startedAt = now();
    let record: PrefixWarmUpRecord;
    try {
      const warmUp = await model.warmPrefix(buildAskSystemPrompt({ learnedContext: learnedText, contextText }), signal === undefined ? {} : { signal });
      record = withoutUndefined({
        status: warmUp.status,
        durationMs: Math.max(0, Math.round(warmUp.durationMs)),
        prefixTokens: warmUp.prefixTokens,
        stateBytes: warmUp.stateBytes,
        usage: warmUp.usage,
      });
    } catch (error) {
      record = {
        status: 'failed',
        durationMs: Math.max(0, now() - startedAt),
        error: { code: SleeptimeError.isInstance(error) ? error.code : 'prefix_warm_up_failed', message: describe(error) },
      };
    }
    try {
      await store.runs.recordPrefixWarmUp(runId, record);
    } catch {
      // Same reasoning: a lost note about the warm-up is not worth failing a published sleep.
    }
    return record;
  }

  async function ask(contextId: string, question: string, askOptions: AskOptions = {}): Promise<AskResult> {
    if (typeof question !== 'string' || question.trim() === '') throw userError('empty_question', 'The question is empty');
    const parsed = parseOptions(askOptionsSchema, {
      verbosity: askOptions.verbosity,
      effort: askOptions.effort,
      thinkingBudget: askOptions.thinkingBudget,
      maxOutputTokens: askOptions.maxOutputTokens,
      useLearned: askOptions.useLearned,
      includeContext: askOptions.includeContext,
      temperature: askOptions.temperature,
    });
    const verbosity = (parsed.verbosity ?? defaultVerbosity) as Verbosity;
    const useLearned = parsed.useLearned ?? true;
    const includeContext = parsed.includeContext ?? true;
    const temperature = parsed.temperature ?? 0;

    const context = await requireContext(contextId);
    const learned = useLearned ? await storeCall('read the learned context', () => store.learned.latest(contextId)) : undefined;
    if (!includeContext && learned === undefined) {
      throw userError(
        'nothing_to_answer_from',
        `Context "${contextId}" has no learned context and the raw context was left out: nothing to answer from`,
        { contextId },
      );
    }
    const model = await loadModel();
    // May throw a user error for a knob this provider lacks: before any run is started.
    const callSettings: CallSettings = model.callSettings(
      withoutUndefined({ maxOutputTokens: parsed.maxOutputTokens, effort: parsed.effort, thinkingBudget: parsed.thinkingBudget }),
    );
    if (askOptions.signal?.aborted === true) throw abortedError('ask', askOptions.signal.reason);
    const fresh = learned === undefined ? null : learned.sourceVersion === context.version;
    const prompt = buildAskPrompt({
      question,
      verbosity,
      learnedContext: learned?.text,
      contextText: includeContext ? context.text : undefined,
    });

    const run = await storeCall('start a run', () =>
      store.runs.start({
        contextId,
        kind: 'ask',
        model: model.spec,
        settings: withoutUndefined({
          verbosity,
          effort: parsed.effort,
          thinkingBudget: parsed.thinkingBudget,
          maxOutputTokens: parsed.maxOutputTokens,
          useLearned,
          includeContext,
          temperature,
        }),
        sourceVersion: context.version,
        question,
      }),
    );

    const calls: RecordedModelCall[] = [];
    const recordingModel = withCallRecording(model.languageModel, {
      now,
      onCall: async (call) => {
        calls.push(call);
        await storeCall('record a model call', () => store.runs.recordCall(toCallRecord(run.id, 'test', 0, call)));
      },
    });

    const modelStartedAt = now();
    let answer: string;
    let prefixCacheHit: boolean | null = null;
    let timeToFirstTokenMs: number | null = null;
    try {
      const result = await generateText({
        model: recordingModel,
        // A provider that caches a prefix only when asked to gets its options on the system message.
        ...(model.systemMessageProviderOptions === undefined
          ? { system: prompt.system, messages: [{ role: 'user', content: prompt.user }] }
          : {
              // Our own fixed instructions, not user input: the SDK's prompt-injection warning does not apply.
              allowSystemInMessages: true,
              messages: [
                { role: 'system', content: prompt.system, providerOptions: model.systemMessageProviderOptions },
                { role: 'user', content: prompt.user },
              ],
            }),
        maxRetries: 0,
        maxOutputTokens: callSettings.maxOutputTokens,
        providerOptions: callSettings.providerOptions,
        temperature,
        abortSignal: askOptions.signal,
      });
      answer = result.text;
      const report = readPrefixCacheReport(result.providerMetadata);
      const cacheReadTokens = result.usage.inputTokenDetails?.cacheReadTokens;
      // Providers without their own report still say how many prompt tokens their cache served.
      prefixCacheHit = report?.prefixCacheHit ?? (cacheReadTokens === undefined ? null : cacheReadTokens > 0);
      timeToFirstTokenMs = report?.timeToFirstTokenMs ?? null;
    } catch (error) {
      const failure = asModelFailure(error, 'ask_failed', 'ask', askOptions.signal);
      await failRun(run.id, failure, sumUsage(calls.map((call) => call.usage)));
      throw failure;
    }
    const latencyMs = Math.max(0, now() - modelStartedAt);
    const usage = sumUsage(calls.map((call) => call.usage));
    const final = extractFinalAnswer(answer);

    try {
      await storeCall('complete the run', () =>
        store.runs.complete(run.id, {
          usage,
          answer,
          final,
          ...(fresh === null ? {} : { fresh }),
          learnedContextId: learned?.id ?? null,
          prefixCacheHit,
          timeToFirstTokenMs,
        }),
      );
    } catch (error) {
      const failure = asModelFailure(error, 'store_failed', 'ask', askOptions.signal);
      await failRun(run.id, failure, usage);
      throw failure;
    }

    return {
      runId: run.id,
      contextId,
      question,
      answer,
      final,
      fresh,
      learnedContextId: learned?.id ?? null,
      learnedSourceVersion: learned?.sourceVersion ?? null,
      contextVersion: context.version,
      usage,
      latencyMs,
      prefixCacheHit,
      timeToFirstTokenMs,
    };
  }

  return {
    putContext,
    getContext: requireContext,
    listContexts: () => storeCall('list contexts', () => store.contexts.list()),
    async deleteContext(id) {
      const deleted = await storeCall('delete a context', () => store.contexts.delete(id));
      if (!deleted) throw userError('context_not_found', `No context with id "${id}"`, { contextId: id });
    },
    sleep,
    ask,
    async runs(contextId, runsOptions) {
      const { limit } = parseOptions(runsOptionsSchema, runsOptions);
      await requireContext(contextId);
      return storeCall('list runs', () => store.runs.list(contextId, limit === undefined ? undefined : { limit }));
    },
    async runCalls(runId) {
      const run = await storeCall('read a run', () => store.runs.get(runId));
      if (run === undefined) throw userError('run_not_found', `No run with id "${runId}"`, { runId });
      return storeCall('list model calls', () => store.runs.calls(runId));
    },
    async learnedContext(contextId) {
      const context = await requireContext(contextId);
      const record = await storeCall('read the learned context', () => store.learned.latest(contextId));
      return record === undefined ? undefined : { record, fresh: record.sourceVersion === context.version };
    },
  };
}
