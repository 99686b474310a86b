/**
 * An AI SDK language model (specification v3) that runs a GGUF model in-process through
 * node-llama-cpp.
 *
 * Output modes, chosen per call:
 * - text: free generation (with stop sequences, sampling settings and a thought budget, or budget
 *   forcing: the thought closed at its budget, or reopened with "Wait" when the model closes it
 *   early, in phases that continue one response; see thought-continuation.ts);
 * - json (`responseFormat: {type: 'json'}`): a grammar built from the schema forces valid JSON;
 * - forced tool call (tool choice `required` or a named tool): the tools are described in the
 *   system prompt and a grammar allows exactly one `{"name", "arguments"}` object whose arguments
 *   follow the chosen tool's schema, so even random weights produce a valid call;
 * - tool choice `auto`: node-llama-cpp's native function calling through the model's chat
 *   wrapper: the model answers in text or starts a call in its trained syntax, and from there the
 *   name and arguments are grammar-constrained.
 *
 * Usage: `inputTokens` is the length of the rendered prompt in tokens (the whole prompt the model
 * read, whether or not its prefix was still in the KV cache); `outputTokens` is the number of tokens
 * the model sampled (thoughts, text, tool-call JSON and the final end token); `reasoning` is the
 * part of those that fell inside thought segments.
 *
 * Calls on one model run one at a time (one context sequence); the KV cache is reused between calls
 * that share a prompt prefix, as the steps of a tool loop do.
 */
import { randomUUID } from 'node:crypto';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3FunctionTool,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
  SharedV3ProviderMetadata,
  SharedV3Warning,
} from '@ai-sdk/provider';
import {
  DisposedError,
  LlamaChat,
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatModelFunctions,
  type ChatWrapper,
  type GbnfJsonSchema,
  type LLamaChatGenerateResponseOptions,
  type LlamaChatResponse,
  type LlamaChatResponseChunk,
  type LlamaChatResponseFunctionCallParamsChunk,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { SleeptimeError, systemError, userError, errorMessage, withoutUndefined } from '@sleeptime/core';
import { ANY_JSON_GRAMMAR_SCHEMA, jsonSchemaToGrammarSchema } from './json-schema-to-grammar-schema.js';
import { GenerationBounds } from './generation-bounds.js';
import {
  DEFAULT_LLAMA_CALL_TIME_LIMIT_MS,
  DEFAULT_LLAMA_CONTEXT_SIZE,
  DEFAULT_LLAMA_REPEAT_PENALTY,
  llamaProviderOptionsSchema,
  REASONING_EFFORT_THOUGHT_TOKENS,
} from './llama-provider-options.js';
import { budgetForcingProviderMetadata, prefixCacheProviderMetadata, shouldWait, waitContinuation } from '@sleeptime/core';
import type { BudgetForcing, PrefixWarmUp, ThinkingEnd } from '@sleeptime/core';
import { modelFileIdentity, type PrefixStateCache, type PrefixStateRefusal } from './prefix-state-cache.js';
import { promptToChatHistory } from './prompt-to-chat-history.js';
import { SerialQueue } from './serial-queue.js';
import { appendResponseItems, historyContinuing, reopenThought, responseItems, responseText, type ResponseItem } from './thought-continuation.js';
import { parseToolCall, toolCallGrammarSchema, toolCallInstructions } from './tool-call-format.js';

/** Below this file size a model runs faster on one thread: thread synchronisation costs more than the math. */
const SINGLE_THREAD_MODEL_BYTES = 64 * 2 ** 20;

/**
 * CPU threads of a model by default: 1 for models under 64 MB, else one fewer than the math cores
 * (at least 1). llama.cpp's threads wait for each other at every token, so when they cannot all run
 * at once (Node's own thread, another process) generation collapses: on 2 busy cores, SmolLM2-135M
 * generated 78 tokens/s on 1 thread and about 1 token/s on 2. Leaving a core free keeps that from
 * happening in a server that also answers HTTP and writes to its store.
 */
export function defaultLlamaThreads(modelBytes: number, mathCores: number): number {
  if (modelBytes < SINGLE_THREAD_MODEL_BYTES) return 1;
  return Math.max(1, mathCores - 1);
}
const MAX_CACHED_GRAMMARS = 64;
/** System messages whose prefix tokens are remembered (a few learned contexts asked about in turn). */
const MAX_REMEMBERED_PREFIXES = 8;
/**
 * Context cells kept free: node-llama-cpp shifts the context (drops old messages) once fewer than
 * 2 cells are left, and it may inject a few tokens mid-answer (e.g. to close a thought at its budget).
 */
const RESERVED_CONTEXT_TOKENS = 16;

export interface LlamaLanguageModelSettings {
  modelId: string;
  /** A loaded model; the language model creates its own context on first use. */
  model: LlamaModel;
  /** Tokens of prompt plus output per call. Default: the model's training context, at most 8192. */
  contextSize?: number;
  /** CPU threads. Default: {@link defaultLlamaThreads}. */
  threads?: number;
  /** Chat format. Default: node-llama-cpp's choice for the model (from its metadata and template). */
  chatWrapper?: ChatWrapper;
  /**
   * Where precomputed prompt-prefix states are kept (see warmPrefix). Without it, prefixes are
   * still reused within the live context, but nothing is saved or restored.
   */
  prefixStateCache?: PrefixStateCache;
  /** The model's `.gguf` file, to identify the weights for state keys. */
  modelPath?: string;
  /** Identity of the model weights for state keys. Default: modelFileIdentity of `modelPath`. */
  modelIdentity?: () => Promise<string>;
  /**
   * Wall-clock limit of one call in milliseconds (0 for none), overridable per call with
   * `providerOptions.llama.callTimeLimitMs`. Default: DEFAULT_LLAMA_CALL_TIME_LIMIT_MS (10 minutes).
   */
  callTimeLimitMs?: number;
}

/**
 * User texts rendered after the system message to find where the question-dependent part of the
 * prompt starts: the prefix is the longest token prefix their renderings share. Different first
 * characters (letter, digit, punctuation) keep a tokenizer from merging any of them into the prefix.
 */
const PREFIX_PROBE_QUESTIONS = ['A', '7', '('];

/** Where the prompt prefix of a call came from. */
export type PrefixSource = 'state-file' | 'sequence' | 'none';

export interface PrefixCacheDetails {
  source: PrefixSource;
  /** Tokens of the prompt prefix (system message and chat markup up to the user's text); 0 when not looked for. */
  prefixTokens: number;
  /** Prompt tokens the model actually evaluated for this call. */
  evaluatedPromptTokens: number;
  timeToFirstTokenMs: number | null;
  /**
   * Why a saved state was not used, when one was looked for: not found or refused by the cache, or
   * refused after loading (llama.cpp could not load it, or its tokens are not exactly the prefix).
   */
  stateMiss?: PrefixStateRefusal | 'load-failed' | 'token-mismatch';
}

type OutputMode =
  | { kind: 'text' }
  | { kind: 'json'; grammarSchema: GbnfJsonSchema }
  | { kind: 'forced-tool-call'; tools: LanguageModelV3FunctionTool[]; grammarSchema: GbnfJsonSchema }
  | { kind: 'native-tools'; functions: ChatModelFunctions };

interface PreparedCall {
  history: ChatHistoryItem[];
  mode: OutputMode;
  warnings: SharedV3Warning[];
  maxOutputTokens: number | undefined;
  generationOptions: Pick<
    LLamaChatGenerateResponseOptions,
    'temperature' | 'topP' | 'topK' | 'seed' | 'customStopTriggers' | 'repeatPenalty'
  >;
  thoughtTokenBudget: number | undefined;
  /** Budget forcing (text calls only); when set, thoughtTokenBudget is not. */
  budgetForcing: BudgetForcing | undefined;
  /** 0 for none. */
  callTimeLimitMs: number;
  stopOnLoop: boolean;
}

interface GenerationListener {
  onText(delta: string): void;
  onReasoning(delta: string): void;
}

interface GenerationOutcome {
  content: LanguageModelV3Content[];
  finishReason: LanguageModelV3FinishReason;
  usage: LanguageModelV3Usage;
  providerMetadata: SharedV3ProviderMetadata;
}

interface LlamaSession {
  context: LlamaContext;
  chat: LlamaChat;
}

export class LlamaLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'llama';
  readonly modelId: string;
  /** Files are not read natively; the AI SDK downloads URLs and text files are inlined. */
  readonly supportedUrls: Record<string, RegExp[]> = {};

  private readonly model: LlamaModel;
  private readonly contextSize: number;
  private readonly threads: number;
  private readonly chatWrapper: ChatWrapper | undefined;
  private readonly prefixStateCache: PrefixStateCache | undefined;
  private readonly modelIdentitySource: () => Promise<string>;
  private readonly callTimeLimitMs: number;
  private modelIdentity: Promise<string> | undefined;
  private readonly queue = new SerialQueue();
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private readonly prefixTokensBySystemMessage = new Map<string, number[]>();
  private session: LlamaSession | undefined;
  private disposed = false;

  constructor(settings: LlamaLanguageModelSettings) {
    this.modelId = settings.modelId;
    this.model = settings.model;
    this.contextSize = settings.contextSize ?? Math.min(settings.model.trainContextSize, DEFAULT_LLAMA_CONTEXT_SIZE);
    this.threads = settings.threads ?? defaultLlamaThreads(settings.model.size, settings.model.llama.cpuMathCores);
    this.chatWrapper = settings.chatWrapper;
    this.prefixStateCache = settings.prefixStateCache;
    this.callTimeLimitMs = settings.callTimeLimitMs ?? DEFAULT_LLAMA_CALL_TIME_LIMIT_MS;
    if (settings.prefixStateCache !== undefined && settings.modelPath === undefined && settings.modelIdentity === undefined)
      throw userError('llama_model_identity_unknown', 'A prefix state cache needs the model file (modelPath) or a modelIdentity to key its states by');
    this.modelIdentitySource =
      settings.modelIdentity ??
      (() => {
        if (settings.modelPath === undefined)
          throw systemError('llama_model_identity_unknown', 'The llama model has no file path or identity to key its prefix states by');
        return settings.prefixStateCache?.modelIdentity(settings.modelPath) ?? modelFileIdentity(settings.modelPath);
      });
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const prepared = this.prepareCall(options);
    const outcome = await this.queue.run(
      () => this.generate(prepared, options.abortSignal, undefined),
      options.abortSignal,
    );
    return {
      content: outcome.content,
      finishReason: outcome.finishReason,
      usage: outcome.usage,
      providerMetadata: outcome.providerMetadata,
      warnings: prepared.warnings,
      response: { id: randomUUID(), modelId: this.modelId, timestamp: new Date() },
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const prepared = this.prepareCall(options);
    // Cancelling the stream stops the generation, as closing an HTTP response would.
    const cancellation = new AbortController();
    const signal =
      options.abortSignal === undefined ? cancellation.signal : AbortSignal.any([options.abortSignal, cancellation.signal]);
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start: (controller) => {
        controller.enqueue({ type: 'stream-start', warnings: prepared.warnings });
        controller.enqueue({ type: 'response-metadata', id: randomUUID(), modelId: this.modelId, timestamp: new Date() });
        const writer = new StreamPartWriter(controller);
        this.queue.run(() => this.generate(prepared, signal, writer), signal).then(
          (outcome) => {
            writer.finish(outcome, prepared.mode.kind === 'forced-tool-call');
            controller.close();
          },
          (error: unknown) => {
            if (!cancellation.signal.aborted) controller.error(error);
          },
        );
      },
      cancel: (reason) => cancellation.abort(reason),
    });
    return { stream };
  }

  /**
   * Sleep-time step: evaluates the prompt prefix an ask with this system message will have (the
   * chat markup, the system message, up to where the user's text starts, rendered with this model's
   * own chat wrapper) and saves the sequence state in the prefix state cache, keyed by the model's
   * identity and the exact prefix tokens. A later call with the same system message restores it and
   * evaluates only the rest.
   */
  async warmPrefix(systemMessage: string, options: { signal?: AbortSignal } = {}): Promise<PrefixWarmUp> {
    const cache = this.prefixStateCache;
    if (cache === undefined) throw userError('prefix_cache_disabled', 'This llama model has no prefix state cache to warm');
    return this.queue.run(async () => {
      const startedAt = performance.now();
      try {
        const { chat, context } = await this.getSession();
        const prefixTokens = this.prefixTokensFor(chat, systemMessage);
        if (prefixTokens.length + RESERVED_CONTEXT_TOKENS >= context.contextSize)
          throw userError('context_overflow', `The prompt prefix has ${prefixTokens.length} tokens but the llama context holds ${context.contextSize}`, {
            promptTokens: prefixTokens.length,
            contextSize: context.contextSize,
          });
        const key = { modelIdentity: await this.identity(), prefixTokens };
        const existing = await cache.lookup(key);
        if (existing.found)
          return { status: 'already-warm', prefixTokens: prefixTokens.length, stateBytes: existing.entry.manifest.stateBytes, durationMs: performance.now() - startedAt };
        options.signal?.throwIfAborted();
        const sequence = chat.sequence;
        // Only the prefix may be in the saved state: anything after it would be restored as if it were part of every ask.
        await sequence.clearHistory();
        await sequence.evaluateWithoutGeneratingNewTokens(prefixTokens as Token[]);
        const entry = await cache.save(key, async (path) => {
          await sequence.saveStateToFile(path);
        });
        return {
          status: entry === undefined ? 'not-kept' : 'saved',
          prefixTokens: prefixTokens.length,
          ...(entry === undefined ? {} : { stateBytes: entry.manifest.stateBytes }),
          durationMs: performance.now() - startedAt,
        };
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (SleeptimeError.isInstance(error)) throw error;
        throw systemError('llama_prefix_warm_up_failed', `Could not precompute the prompt prefix: ${errorMessage(error)}`, error);
      }
    }, options.signal);
  }

  /** Drops what the context holds, so the next call reads its whole prompt (or restores a saved state): for benchmarks and tests. */
  async clearSequence(): Promise<void> {
    await this.queue.run(async () => {
      if (this.session !== undefined) await this.session.chat.sequence.clearHistory();
    });
  }

  /** Frees the context once the calls already queued are done. The model itself belongs to the caller. */
  async dispose(): Promise<void> {
    await this.queue.run(async () => {
      this.disposed = true;
      const session = this.session;
      this.session = undefined;
      if (session !== undefined) {
        session.chat.dispose();
        await session.context.dispose();
      }
    });
  }

  private prepareCall(options: LanguageModelV3CallOptions): PreparedCall {
    const parsedProviderOptions = llamaProviderOptionsSchema.safeParse(options.providerOptions?.llama ?? {});
    if (!parsedProviderOptions.success)
      throw userError('invalid_provider_options', `Invalid providerOptions.llama: ${parsedProviderOptions.error.message}`);
    const providerOptions = parsedProviderOptions.data;
    const budgetForcing = providerOptions.budgetForcing;
    if (budgetForcing !== undefined && (providerOptions.thoughtTokens !== undefined || providerOptions.reasoningEffort !== undefined))
      throw userError(
        'invalid_provider_options',
        'Invalid providerOptions.llama: budgetForcing sets the thought budget itself; give it without thoughtTokens or reasoningEffort',
      );
    if (options.maxOutputTokens !== undefined && (!Number.isInteger(options.maxOutputTokens) || options.maxOutputTokens < 1))
      throw userError('invalid_max_output_tokens', `maxOutputTokens must be a positive integer, got ${options.maxOutputTokens}`);

    const { history, warnings } = promptToChatHistory(options.prompt);
    const functionTools: LanguageModelV3FunctionTool[] = [];
    for (const tool of options.tools ?? []) {
      if (tool.type === 'function') functionTools.push(tool);
      else warnings.push({ type: 'unsupported', feature: `provider tool ${tool.id}`, details: 'llama models run function tools only' });
    }
    const toolChoice = options.toolChoice ?? { type: 'auto' };
    const usesTools = functionTools.length > 0 && toolChoice.type !== 'none';
    if (usesTools && options.responseFormat?.type === 'json')
      warnings.push({ type: 'unsupported', feature: 'responseFormat with tools', details: 'the tools take precedence' });

    let mode: OutputMode;
    if (usesTools && toolChoice.type === 'auto') {
      mode = {
        kind: 'native-tools',
        functions: Object.fromEntries(
          functionTools.map((tool) => [tool.name, { description: tool.description, params: jsonSchemaToGrammarSchema(tool.inputSchema) }]),
        ),
      };
    } else if (usesTools) {
      const allowedTools = toolChoice.type === 'tool' ? functionTools.filter((tool) => tool.name === toolChoice.toolName) : functionTools;
      if (allowedTools.length === 0)
        throw userError('unknown_tool', `toolChoice names the tool "${toolChoice.type === 'tool' ? toolChoice.toolName : ''}", which is not among the tools`);
      mode = { kind: 'forced-tool-call', tools: allowedTools, grammarSchema: toolCallGrammarSchema(allowedTools) };
      addSystemInstructions(history, toolCallInstructions(allowedTools, toolChoice.type === 'tool' ? toolChoice.toolName : undefined));
    } else if (options.responseFormat?.type === 'json') {
      const schema = options.responseFormat.schema;
      mode = { kind: 'json', grammarSchema: schema === undefined ? (ANY_JSON_GRAMMAR_SCHEMA as GbnfJsonSchema) : jsonSchemaToGrammarSchema(schema) };
      addSystemInstructions(
        history,
        schema === undefined
          ? 'Answer with one JSON value and nothing else.'
          : `Answer with one JSON value that follows this JSON schema, and nothing else: ${JSON.stringify(schema)}`,
      );
    } else {
      mode = { kind: 'text' };
    }
    if (budgetForcing !== undefined && mode.kind !== 'text')
      throw userError('budget_forcing_unsupported', 'budget forcing answers in text: a call with tools or a JSON response format cannot be forced');
    // The model writes the next turn; when the prompt ends in the model's turn (after tool results) it goes on with it.
    if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });

    // The default penalty guards against loops; `false` turns it off, leaving the AI SDK's penalties alone.
    const repeatPenalty = withoutUndefined({
      ...(providerOptions.repeatPenalty === false ? { penalty: 1 } : { ...DEFAULT_LLAMA_REPEAT_PENALTY, ...providerOptions.repeatPenalty }),
      frequencyPenalty: options.frequencyPenalty,
      presencePenalty: options.presencePenalty,
    });
    return {
      history,
      mode,
      warnings,
      maxOutputTokens: options.maxOutputTokens,
      generationOptions: withoutUndefined({
        temperature: options.temperature,
        topP: options.topP,
        topK: options.topK,
        seed: options.seed,
        customStopTriggers: options.stopSequences?.length ? options.stopSequences : undefined,
        repeatPenalty,
      }),
      budgetForcing,
      thoughtTokenBudget:
        providerOptions.thoughtTokens ??
        (providerOptions.reasoningEffort === undefined ? undefined : REASONING_EFFORT_THOUGHT_TOKENS[providerOptions.reasoningEffort]),
      callTimeLimitMs: providerOptions.callTimeLimitMs ?? this.callTimeLimitMs,
      stopOnLoop: providerOptions.stopOnLoop ?? true,
    };
  }

  private async generate(
    prepared: PreparedCall,
    signal: AbortSignal | undefined,
    listener: GenerationListener | undefined,
  ): Promise<GenerationOutcome> {
    const startedAt = performance.now();
    const bounds = new GenerationBounds({ timeLimitMs: prepared.callTimeLimitMs, stopOnLoop: prepared.stopOnLoop, callerSignal: signal });
    try {
      const { chat, context } = await this.getSession();
      const { mode } = prepared;
      const functions = mode.kind === 'native-tools' ? mode.functions : undefined;
      const forcing = prepared.budgetForcing;
      if (forcing !== undefined && chat.chatWrapper.settings.segments?.thought == null)
        throw userError(
          'budget_forcing_unsupported',
          `budget forcing needs a model that thinks in thought segments (Qwen3, DeepSeek-R1...); this model's chat format (${chat.chatWrapper.wrapperName}) has none`,
        );

      // Rendered exactly as LlamaChat renders it, to count the prompt and to refuse prompts that do not fit.
      const promptTokenCount = chat.chatWrapper
        .generateContextState({ chatHistory: prepared.history, availableFunctions: functions, documentFunctionParams: true })
        .contextText.tokenize(this.model.tokenizer).length;
      const room = context.contextSize - promptTokenCount - RESERVED_CONTEXT_TOKENS;
      if (room < 1)
        throw userError(
          'context_overflow',
          `The prompt has ${promptTokenCount} tokens but the llama context holds ${context.contextSize} (${RESERVED_CONTEXT_TOKENS} kept free); shorten the prompt or use a larger context size`,
          { promptTokens: promptTokenCount, contextSize: context.contextSize },
        );
      // Capping at the room left keeps node-llama-cpp from shifting the context, i.e. silently dropping the start of the prompt.
      const maxTokens = Math.min(prepared.maxOutputTokens ?? room, room);

      const grammar =
        mode.kind === 'json' || mode.kind === 'forced-tool-call' ? await this.grammarFor(mode.grammarSchema) : undefined;
      const streamsText = mode.kind !== 'forced-tool-call';
      let reasoningTokenCount = 0;
      const prefix = await this.restorePrefix(chat, prepared);
      let firstTokenAt: number | undefined;
      const meterBefore = chat.sequence.tokenMeter.getState();

      // node-llama-cpp takes a grammar or functions, never both; the mode picks one.
      const modeOptions = grammar !== undefined ? { grammar } : functions !== undefined ? { functions, documentFunctionParams: true } : {};
      const usedOutputTokens = () => chat.sequence.tokenMeter.diff(meterBefore).usedOutputTokens;

      // One phase, except under budget forcing's `extend`: a phase the model ends by closing its thought
      // early is cut there, and the next phase continues the thought after a "Wait" (see thought-continuation.ts).
      let history = prepared.history;
      let items: ResponseItem[] = [];
      let thoughtTokenCount = 0;
      let waits = 0;
      /** Tokens of the "Wait"s put in: they take context cells, not output. */
      let insertedTokens = 0;
      let response: Pick<LlamaChatResponse<ChatModelFunctions>, 'response' | 'functionCalls' | 'metadata'> | undefined;
      for (;;) {
        const phaseStop = new AbortController();
        let phaseThoughtTokens = 0;
        /** Set once this phase is cut for a "Wait": what the model samples after that is dropped. */
        let cutForWait = false;
        const phaseSignal = forcing === undefined ? bounds.signal : AbortSignal.any([bounds.signal, phaseStop.signal]);
        const phaseMaxTokens = Math.min(maxTokens - usedOutputTokens(), room - usedOutputTokens() - insertedTokens);
        if (phaseMaxTokens < 1) {
          // The "Wait"s took the last of the room: what was written is the answer, cut by the token limit.
          response = { response: responseText(items), metadata: { stopReason: 'maxTokens' } };
          break;
        }
        const thoughtBudget =
          forcing === undefined
            ? prepared.thoughtTokenBudget === undefined
              ? undefined
              : { thoughtTokens: prepared.thoughtTokenBudget }
            : // Counted from this phase on: only sampled thought tokens spend the budget, not the "Wait"s.
              { thoughtTokens: forcing.thinkingTokens - thoughtTokenCount, includeCurrentResponse: false };
        const generateOptions = {
          ...prepared.generationOptions,
          ...modeOptions,
          maxTokens: phaseMaxTokens,
          // A limit keeps what was generated; the caller's abort is rethrown below.
          signal: phaseSignal,
          stopOnAbortSignal: true,
          budgets: thoughtBudget,
          onToken: () => {
            firstTokenAt ??= performance.now();
          },
          onFunctionCallParamsChunk: (chunk: LlamaChatResponseFunctionCallParamsChunk) => bounds.observe(chunk.paramsChunk),
          onResponseChunk: (chunk: LlamaChatResponseChunk) => {
            if (cutForWait) return;
            bounds.observe(chunk.text);
            if (chunk.type === 'segment') {
              reasoningTokenCount += chunk.tokens.length;
              if (chunk.segmentType === 'thought') phaseThoughtTokens += chunk.tokens.length;
              if (chunk.text !== '') listener?.onReasoning(chunk.text);
              // The model closed its thought (a budget closes it only once spent, where shouldWait says no).
              if (
                forcing !== undefined &&
                chunk.segmentType === 'thought' &&
                chunk.segmentEndTime !== undefined &&
                shouldWait(forcing, { thoughtTokens: thoughtTokenCount + phaseThoughtTokens, waitsUsed: waits }) &&
                usedOutputTokens() < maxTokens
              ) {
                cutForWait = true;
                phaseStop.abort(new Error('budget forcing: the thought goes on after "Wait"'));
              }
            } else if (streamsText && chunk.text !== '') listener?.onText(chunk.text);
          },
        } as LLamaChatGenerateResponseOptions<ChatModelFunctions>;
        const phaseResponse = await chat.generateResponse<ChatModelFunctions>(history, generateOptions).catch((error: unknown) => {
          // node-llama-cpp throws when stopped before the first token: a limit hit that early leaves an empty answer,
          // and a thought closed that early is reopened as it was.
          if (signal?.aborted !== true && ((bounds.cutBy !== undefined && error === bounds.signal.reason) || (cutForWait && error === phaseStop.signal.reason)))
            return undefined;
          throw error;
        });
        thoughtTokenCount += phaseThoughtTokens;
        if (phaseResponse !== undefined) items = appendResponseItems(items, responseItems(phaseResponse.fullResponse));
        if (!cutForWait || bounds.cutBy !== undefined || signal?.aborted === true) {
          // A phase stopped before its first token (by a limit) still leaves what the earlier phases wrote.
          response =
            phaseResponse ?? (items.length === 0 ? undefined : { response: responseText(items), metadata: { stopReason: 'abort' } });
          break;
        }
        const reopened = reopenThought(items, waitContinuation);
        listener?.onReasoning(reopened.appended);
        insertedTokens += this.model.tokenize(reopened.appended).length;
        waits += 1;
        items = reopened.items;
        history = historyContinuing(prepared.history, items);
      }
      if (signal?.aborted) throw signal.reason;
      const cutBy = response === undefined || response.metadata.stopReason === 'abort' ? bounds.cutBy : undefined;
      // Every sampled token needed one row of logits; the meter counts those rows as output.
      const meterDifference = chat.sequence.tokenMeter.diff(meterBefore);
      const outputTokenCount = meterDifference.usedOutputTokens;
      // The meter counts a token that yields logits as output, so the prompt's last token is among the output rows.
      const evaluatedPromptTokens = meterDifference.usedInputTokens + Math.min(1, outputTokenCount);
      const timeToFirstTokenMs = firstTokenAt === undefined ? null : roundMilliseconds(firstTokenAt - startedAt);
      const prefixCache: PrefixCacheDetails = { ...prefix, evaluatedPromptTokens, timeToFirstTokenMs };

      const content = response === undefined ? [] : responseContent(response, items, mode);
      const hasToolCalls = content.some((part) => part.type === 'tool-call');
      const loop = bounds.loop;
      return {
        content,
        // Cut by a limit: never a normal answer, whatever was produced before (the engine flags the run as truncated).
        finishReason: cutBy !== undefined ? { unified: 'length', raw: cutBy } : finishReasonFor(response?.metadata.stopReason, hasToolCalls),
        usage: {
          inputTokens: { total: promptTokenCount, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: {
            total: outputTokenCount,
            text: Math.max(0, outputTokenCount - reasoningTokenCount),
            reasoning: reasoningTokenCount,
          },
          raw: { promptTokens: promptTokenCount, sampledTokens: outputTokenCount, thoughtTokens: reasoningTokenCount },
        },
        providerMetadata: {
          ...mergeProviderMetadata(
            prefixCacheProviderMetadata({
              prefixCacheHit: prefix.source !== 'none',
              timeToFirstTokenMs,
              cachedPromptTokens: Math.max(0, promptTokenCount - evaluatedPromptTokens),
            }),
            forcing === undefined
              ? {}
              : budgetForcingProviderMetadata({
                  mode: forcing.mode,
                  thinkingTokens: forcing.thinkingTokens,
                  thoughtTokens: thoughtTokenCount,
                  waits,
                  thinkingEndedBy: thinkingEnd(items, thoughtTokenCount, forcing.thinkingTokens),
                }),
          ),
          llama: { prefixCache: { ...prefixCache }, ...(loop === undefined ? {} : { loop: { span: loop.span, repeats: loop.repeats } }) },
        },
      };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (SleeptimeError.isInstance(error)) throw error;
      if (error instanceof DisposedError) throw systemError('llama_model_closed', 'The llama model was closed', error);
      throw systemError('llama_generation_failed', `llama generation failed: ${errorMessage(error)}`, error);
    } finally {
      bounds.dispose();
    }
  }

  /**
   * Before a text call that starts with a system message: makes sure the sequence holds the prompt
   * prefix, from the live context or from a saved state. LlamaChat then reuses the longest common
   * token prefix of the sequence and the prompt, so a state that does not fit costs time, never
   * correctness.
   */
  private async restorePrefix(chat: LlamaChat, prepared: PreparedCall): Promise<Omit<PrefixCacheDetails, 'evaluatedPromptTokens' | 'timeToFirstTokenMs'>> {
    const first = prepared.history[0];
    if (prepared.mode.kind !== 'text' || first?.type !== 'system' || typeof first.text !== 'string' || prepared.history.length !== 3)
      return { source: 'none', prefixTokens: 0 };
    const prefixTokens = this.prefixTokensFor(chat, first.text);
    if (prefixTokens.length === 0) return { source: 'none', prefixTokens: 0 };
    const sequence = chat.sequence;
    if (startsWith(sequence.contextTokens, prefixTokens)) return { source: 'sequence', prefixTokens: prefixTokens.length };
    const cache = this.prefixStateCache;
    if (cache === undefined) return { source: 'none', prefixTokens: prefixTokens.length };
    // A state folder that cannot be read or written costs this ask its head start, never the answer.
    try {
      const found = await cache.lookup({ modelIdentity: await this.identity(), prefixTokens });
      if (!found.found) return { source: 'none', prefixTokens: prefixTokens.length, stateMiss: found.reason };
      await sequence.loadStateFromFile(found.entry.statePath, { acceptRisk: true });
    } catch {
      await sequence.clearHistory();
      return { source: 'none', prefixTokens: prefixTokens.length, stateMiss: 'load-failed' };
    }
    // The state file carries its own token list: it must be exactly the prefix, or nothing of it is used.
    if (sequence.contextTokens.length !== prefixTokens.length || !startsWith(sequence.contextTokens, prefixTokens)) {
      await sequence.clearHistory();
      return { source: 'none', prefixTokens: prefixTokens.length, stateMiss: 'token-mismatch' };
    }
    return { source: 'state-file', prefixTokens: prefixTokens.length };
  }

  /**
   * The tokens an ask with this system message starts with, whatever its question (see
   * PREFIX_PROBE_QUESTIONS). Remembered per system message: every ask over one learned context has
   * the same one, and rendering and tokenizing it three times costs milliseconds per thousand tokens.
   */
  private prefixTokensFor(chat: LlamaChat, systemMessage: string): number[] {
    const known = this.prefixTokensBySystemMessage.get(systemMessage);
    if (known !== undefined) {
      // Most recently used last, so the oldest is the one dropped.
      this.prefixTokensBySystemMessage.delete(systemMessage);
      this.prefixTokensBySystemMessage.set(systemMessage, known);
      return known;
    }
    const renderings = PREFIX_PROBE_QUESTIONS.map((question) => {
      const { history } = promptToChatHistory([
        { role: 'system', content: systemMessage },
        { role: 'user', content: [{ type: 'text', text: question }] },
      ]);
      history.push({ type: 'model', response: [] });
      return chat.chatWrapper
        .generateContextState({ chatHistory: history, availableFunctions: undefined, documentFunctionParams: true })
        .contextText.tokenize(this.model.tokenizer);
    });
    const [first, ...others] = renderings;
    let length = first?.length ?? 0;
    for (const other of others) {
      let index = 0;
      while (index < length && index < other.length && other[index] === first?.[index]) index++;
      length = index;
    }
    const prefixTokens = (first ?? []).slice(0, length);
    if (this.prefixTokensBySystemMessage.size >= MAX_REMEMBERED_PREFIXES)
      this.prefixTokensBySystemMessage.delete(this.prefixTokensBySystemMessage.keys().next().value as string);
    this.prefixTokensBySystemMessage.set(systemMessage, prefixTokens);
    return prefixTokens;
  }

  private identity(): Promise<string> {
    this.modelIdentity ??= this.modelIdentitySource().catch((error: unknown) => {
      this.modelIdentity = undefined;
      throw error;
    });
    return this.modelIdentity;
  }

  private async getSession(): Promise<LlamaSession> {
    if (this.disposed) throw systemError('llama_model_closed', 'The llama model was closed');
    if (this.session === undefined) {
      const context = await this.model.createContext({ contextSize: this.contextSize, threads: this.threads, sequences: 1 });
      const chat = new LlamaChat({ contextSequence: context.getSequence(), chatWrapper: this.chatWrapper ?? chatWrapperOf(this.model) });
      this.session = { context, chat };
    }
    return this.session;
  }

  private grammarFor(schema: GbnfJsonSchema): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (grammar === undefined) {
      if (this.grammars.size >= MAX_CACHED_GRAMMARS) this.grammars.clear();
      grammar = this.model.llama.createGrammarForJsonSchema(schema as never);
      grammar.catch(() => this.grammars.delete(key));
      this.grammars.set(key, grammar);
    }
    return grammar;
  }
}

/** `fullResponse`: the response's items, every phase's (see thought-continuation.ts). */
function responseContent(
  response: Pick<LlamaChatResponse<ChatModelFunctions>, 'response' | 'functionCalls'>,
  fullResponse: readonly ResponseItem[],
  mode: OutputMode,
): LanguageModelV3Content[] {
  const content: LanguageModelV3Content[] = [];
  const append = (type: 'text' | 'reasoning', text: string) => {
    const last = content.at(-1);
    if (last?.type === type) last.text += text;
    else if (text !== '') content.push({ type, text });
  };
  for (const item of fullResponse) {
    if (typeof item !== 'string') append('reasoning', item.text);
    else if (mode.kind !== 'forced-tool-call') append('text', item);
  }
  if (mode.kind === 'forced-tool-call') {
    const call = parseToolCall(response.response, mode.tools);
    // A call cut off by the token limit is not a call; the raw text goes back so nothing is hidden.
    if (call === undefined) append('text', response.response);
    else content.push({ type: 'tool-call', toolCallId: newToolCallId(), toolName: call.toolName, input: call.input });
  }
  for (const call of response.functionCalls ?? [])
    content.push({ type: 'tool-call', toolCallId: newToolCallId(), toolName: call.functionName, input: JSON.stringify(call.params ?? {}) });
  return content;
}

function finishReasonFor(stopReason: LlamaChatResponse['metadata']['stopReason'] | undefined, hasToolCalls: boolean): LanguageModelV3FinishReason {
  if (hasToolCalls) return { unified: 'tool-calls', raw: stopReason };
  switch (stopReason) {
    case 'maxTokens':
      return { unified: 'length', raw: stopReason };
    case 'eogToken':
    case 'stopGenerationTrigger':
    case 'customStopTrigger':
      return { unified: 'stop', raw: stopReason };
    case 'functionCalls':
      return { unified: 'tool-calls', raw: stopReason };
    default:
      return { unified: 'other', raw: stopReason };
  }
}

/** Where the thinking of a forced call ended: at its budget, by the model, or cut by a limit before either. */
function thinkingEnd(items: readonly ResponseItem[], thoughtTokens: number, thinkingTokens: number): ThinkingEnd {
  if (thoughtTokens >= thinkingTokens) return 'budget';
  const lastThought = items.findLast((item) => typeof item !== 'string' && item.segmentType === 'thought');
  return lastThought === undefined || (typeof lastThought !== 'string' && lastThought.ended) ? 'model' : 'output-limit';
}

/** Provider metadata of two reports, merged one key deep (both may write under `sleeptime`). */
function mergeProviderMetadata(first: SharedV3ProviderMetadata, second: SharedV3ProviderMetadata): SharedV3ProviderMetadata {
  const merged: SharedV3ProviderMetadata = { ...first };
  for (const [key, value] of Object.entries(second)) merged[key] = { ...merged[key], ...value };
  return merged;
}

/** Adds instructions to the first system message (or a new one), where chat templates expect them. */
function addSystemInstructions(history: ChatHistoryItem[], instructions: string): void {
  const first = history[0];
  if (first?.type === 'system' && typeof first.text === 'string') history[0] = { type: 'system', text: `${first.text}\n\n${instructions}` };
  else history.unshift({ type: 'system', text: instructions });
}

const resolvedChatWrappers = new WeakMap<LlamaModel, ChatWrapper>();

/**
 * node-llama-cpp's choice of chat wrapper for the model, made once per loaded model (language models
 * may share one): resolving renders the model's template against each known format, 0.3-3 s of
 * JavaScript on a busy 2-core machine, paid by the first call.
 */
function chatWrapperOf(model: LlamaModel): ChatWrapper {
  let chatWrapper = resolvedChatWrappers.get(model);
  if (chatWrapper === undefined) {
    chatWrapper = resolveChatWrapper(model);
    resolvedChatWrappers.set(model, chatWrapper);
  }
  return chatWrapper;
}

function startsWith(tokens: readonly number[], prefix: readonly number[]): boolean {
  if (tokens.length < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) if (tokens[index] !== prefix[index]) return false;
  return true;
}

function roundMilliseconds(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}

function newToolCallId(): string {
  return `call_${randomUUID()}`;
}

/** Turns generation callbacks into ordered V3 stream parts. */
class StreamPartWriter implements GenerationListener {
  private openBlock: { kind: 'text' | 'reasoning'; id: string } | undefined;
  private blockCount = 0;

  constructor(private readonly controller: ReadableStreamDefaultController<LanguageModelV3StreamPart>) {}

  onText(delta: string): void {
    this.write('text', delta);
  }

  onReasoning(delta: string): void {
    this.write('reasoning', delta);
  }

  /** Closes the open block, then sends what was not streamed (tool calls, unparsed forced output) and the finish part. */
  finish(outcome: GenerationOutcome, textWasHeldBack: boolean): void {
    this.closeBlock();
    for (const part of outcome.content) {
      if (part.type === 'tool-call') this.controller.enqueue(part);
      else if (part.type === 'text' && textWasHeldBack) {
        this.write('text', part.text);
        this.closeBlock();
      }
    }
    this.controller.enqueue({ type: 'finish', finishReason: outcome.finishReason, usage: outcome.usage, providerMetadata: outcome.providerMetadata });
  }

  private write(kind: 'text' | 'reasoning', delta: string): void {
    if (this.openBlock?.kind !== kind) {
      this.closeBlock();
      this.openBlock = { kind, id: `${kind}-${this.blockCount++}` };
      this.controller.enqueue({ type: kind === 'text' ? 'text-start' : 'reasoning-start', id: this.openBlock.id });
    }
    this.controller.enqueue({ type: kind === 'text' ? 'text-delta' : 'reasoning-delta', id: this.openBlock.id, delta });
  }

  private closeBlock(): void {
    if (this.openBlock === undefined) return;
    this.controller.enqueue({ type: this.openBlock.kind === 'text' ? 'text-end' : 'reasoning-end', id: this.openBlock.id });
    this.openBlock = undefined;
  }
}
