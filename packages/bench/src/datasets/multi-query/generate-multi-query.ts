/**
 * Multi-Query GSM-Symbolic (SPEC section 3): for each GSM-Symbolic context, a model writes about N
 * new questions of the same difficulty, each with a worked answer (`#### N`) and an expression over
 * the instance's bindings. Unlike the paper's set, a question is kept only when the expression,
 * evaluated here exactly, agrees with the worked answer (see verify-question.ts).
 *
 * Sampling: temperature 0.7 by default (varied questions, still careful arithmetic), and a
 * provider seed derived from `seed`, the context and the attempt, so a rerun asks the same thing and
 * a retry after a malformed reply does not ask for the same reply again. Providers that ignore
 * seeds still vary; the cache, not the seed, is what makes a rerun reproduce a run.
 */
import { createHash } from 'node:crypto';
import { NoObjectGeneratedError, NoOutputGeneratedError, Output, generateText } from 'ai';
import { userError } from '@sleeptime/core';
import type { ModelBudget, SleeptimeModel } from '@sleeptime/core';
import type { GsmSymbolicInstance } from '../gsm-symbolic/index.js';
import { MultiQueryCacheWriter, readMultiQueryCache } from './multi-query-cache.js';
import { generatedQuestionSchema, generatedQuestionsSchema, multiQueryPrompt } from './multi-query-prompt.js';
import {
  rejectionReasons,
  type MultiQueryCacheRecord,
  type MultiQueryRejection,
  type MultiQueryRow,
  type RejectionReason,
} from './multi-query-types.js';
import { normalizeQuestionText, verifyQuestion } from './verify-question.js';

export const DEFAULT_QUESTIONS_PER_CONTEXT = 10;
export const DEFAULT_MULTI_QUERY_TEMPERATURE = 0.7;
export const DEFAULT_MULTI_QUERY_CONCURRENCY = 4;
export const DEFAULT_MAX_ATTEMPTS_PER_CONTEXT = 3;

export interface MultiQueryProgress {
  /** Contexts finished, including those read from the cache. */
  done: number;
  total: number;
  kept: number;
  rejected: number;
}

export interface GenerateMultiQueryOptions {
  /** The contexts: GSM-Symbolic instances with their bindings (ids must be unique). */
  instances: readonly GsmSymbolicInstance[];
  model: SleeptimeModel;
  /** Questions asked for per context; default 10. Extra questions in a reply are ignored. */
  questionsPerContext?: number;
  seed: number;
  /** JSON Lines cache of finished contexts: read to resume (no model call for them), appended to. */
  cachePath?: string;
  /** Contexts in flight at once; default 4. */
  concurrency?: number;
  /** Default 0.7. */
  temperature?: number;
  /** Model calls per context when replies are malformed; default 3. */
  maxAttemptsPerContext?: number;
  /** Output/reasoning budget for the generating model (default: the provider's defaults). */
  budget?: ModelBudget;
  onProgress?: (progress: MultiQueryProgress) => void;
  signal?: AbortSignal;
}

export interface MultiQueryResult {
  /** Per context in input order: the original question (`/q0`), then the kept ones (`/q1`...). */
  rows: MultiQueryRow[];
  /** Generated questions kept (original rows not counted). */
  kept: number;
  /** Rejected questions, plus one per malformed reply. */
  rejected: number;
  /** Every reason, zero when unused. */
  rejectedByReason: Record<RejectionReason, number>;
  /** Every rejection, in input order, for auditing the verifier. */
  rejections: MultiQueryRejection[];
  /** Contexts taken from the cache rather than generated. */
  contextsFromCache: number;
  /** Model calls made by this run (0 when everything came from the cache). */
  modelCalls: number;
}

interface ResolvedSettings {
  model: SleeptimeModel;
  seed: number;
  questionsPerContext: number;
  temperature: number;
  maxAttemptsPerContext: number;
  budget: ModelBudget;
  signal: AbortSignal | undefined;
}

/** Generates, verifies and caches the multi-query questions for every instance. */
export async function generateMultiQuery(options: GenerateMultiQueryOptions): Promise<MultiQueryResult> {
  const settings = resolveSettings(options);
  const concurrency = positiveInteger(options.concurrency ?? DEFAULT_MULTI_QUERY_CONCURRENCY, 'concurrency');
  const instances = options.instances;
  checkUniqueIds(instances);

  const records = new Map<string, MultiQueryCacheRecord>();
  let writer: MultiQueryCacheWriter | undefined;
  if (options.cachePath !== undefined) {
    const contents = await readMultiQueryCache(options.cachePath);
    const wanted = new Map(instances.map((instance) => [instance.id, instance]));
    for (const record of contents.records) {
      const instance = wanted.get(record.contextId);
      // Records of other contexts (another subset of the same run) stay in the file, unused.
      if (instance === undefined || records.has(record.contextId)) continue;
      checkRecordMatches(record, instance, settings, options.cachePath);
      records.set(record.contextId, record);
    }
    writer = new MultiQueryCacheWriter(options.cachePath, contents);
  }
  const contextsFromCache = records.size;

  const progress: MultiQueryProgress = { done: 0, total: instances.length, kept: 0, rejected: 0 };
  const countRecord = (record: MultiQueryCacheRecord): void => {
    progress.done += 1;
    progress.kept += record.rows.filter((row) => !row.original).length;
    progress.rejected += record.rejections.length;
  };
  for (const record of records.values()) countRecord(record);
  options.onProgress?.({ ...progress });

  const pending = instances.filter((instance) => !records.has(instance.id));
  let modelCalls = 0;
  let failure: { error: unknown } | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < pending.length) {
      const instance = pending[next] as GsmSymbolicInstance;
      next += 1;
      try {
        settings.signal?.throwIfAborted();
        const record = await generateForContext(instance, settings, () => {
          modelCalls += 1;
        });
        await writer?.append(record);
        records.set(instance.id, record);
        countRecord(record);
        options.onProgress?.({ ...progress });
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, () => worker()));
  // Finished contexts are already in the cache, so a rerun resumes from here.
  if (failure !== undefined) throw failure.error;

  const rejectedByReason = Object.fromEntries(rejectionReasons.map((reason) => [reason, 0])) as Record<
    RejectionReason,
    number
  >;
  const rows: MultiQueryRow[] = [];
  const rejections: MultiQueryRejection[] = [];
  for (const instance of instances) {
    const record = records.get(instance.id) as MultiQueryCacheRecord;
    rows.push(...record.rows);
    rejections.push(...record.rejections);
  }
  for (const rejection of rejections) rejectedByReason[rejection.reason] += 1;
  return {
    rows,
    kept: rows.filter((row) => !row.original).length,
    rejected: rejections.length,
    rejectedByReason,
    rejections,
    contextsFromCache,
    modelCalls,
  };
}

function resolveSettings(options: GenerateMultiQueryOptions): ResolvedSettings {
  if (!Number.isSafeInteger(options.seed)) {
    throw userError('invalid_option', `seed must be an integer, got ${options.seed}.`, { option: 'seed' });
  }
  const temperature = options.temperature ?? DEFAULT_MULTI_QUERY_TEMPERATURE;
  if (!(temperature >= 0 && temperature <= 2)) {
    throw userError('invalid_option', `temperature must be between 0 and 2, got ${temperature}.`, { option: 'temperature' });
  }
  return {
    model: options.model,
    seed: options.seed,
    questionsPerContext: positiveInteger(options.questionsPerContext ?? DEFAULT_QUESTIONS_PER_CONTEXT, 'questionsPerContext'),
    temperature,
    maxAttemptsPerContext: positiveInteger(
      options.maxAttemptsPerContext ?? DEFAULT_MAX_ATTEMPTS_PER_CONTEXT,
      'maxAttemptsPerContext',
    ),
    budget: options.budget ?? {},
    signal: options.signal,
  };
}

function positiveInteger(value: number, option: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw userError('invalid_option', `${option} must be a positive integer, got ${value}.`, { option });
  }
  return value;
}

function checkUniqueIds(instances: readonly GsmSymbolicInstance[]): void {
  const seen = new Set<string>();
  for (const instance of instances) {
    if (seen.has(instance.id)) {
      throw userError('duplicate_instance_id', `Two instances share the id ${instance.id}; ids key the cache.`, {
        id: instance.id,
      });
    }
    seen.add(instance.id);
  }
}

// Reusing a record made with other settings (or for another instance under the same id) would mix
// two datasets in one without a trace.
function checkRecordMatches(
  record: MultiQueryCacheRecord,
  instance: GsmSymbolicInstance,
  settings: ResolvedSettings,
  cachePath: string,
): void {
  const differences: string[] = [];
  if (record.seed !== settings.seed) differences.push(`seed ${record.seed} (now ${settings.seed})`);
  if (record.model !== settings.model.spec) differences.push(`model ${record.model} (now ${settings.model.spec})`);
  if (record.questionsPerContext !== settings.questionsPerContext) {
    differences.push(`questionsPerContext ${record.questionsPerContext} (now ${settings.questionsPerContext})`);
  }
  const original = record.rows.find((row) => row.original);
  if (original === undefined || original.context !== instance.context || original.query !== instance.query) {
    differences.push('a different context or question under the same id');
  }
  if (differences.length > 0) {
    throw userError(
      'multi_query_cache_mismatch',
      `${cachePath} holds context ${record.contextId} made with ${differences.join(', ')}. Use another cache file or the same settings.`,
      { path: cachePath, contextId: record.contextId },
    );
  }
}

async function generateForContext(
  instance: GsmSymbolicInstance,
  settings: ResolvedSettings,
  onModelCall: () => void,
): Promise<MultiQueryCacheRecord> {
  const prompt = multiQueryPrompt({
    context: instance.context,
    query: instance.query,
    answer: instance.answer,
    bindings: instance.bindings,
    labels: instance.labels,
    questionsPerContext: settings.questionsPerContext,
  });
  const rejections: MultiQueryRejection[] = [];
  const rows: MultiQueryRow[] = [originalRow(instance)];
  let attempt = 0;
  while (attempt < settings.maxAttemptsPerContext) {
    attempt += 1;
    onModelCall();
    const reply = await requestQuestions(prompt, settings, derivedSeed(settings.seed, instance.id, attempt));
    if (!reply.ok) {
      rejections.push({ contextId: instance.id, attempt, reason: 'malformed', detail: reply.detail });
      continue;
    }
    const seen = new Set([normalizeQuestionText(instance.query)]);
    for (const item of reply.items.slice(0, settings.questionsPerContext)) {
      const parsed = generatedQuestionSchema.safeParse(item);
      if (!parsed.success) {
        rejections.push({
          contextId: instance.id,
          attempt,
          reason: 'malformed',
          detail: 'a question lacks "question", "solution" or "expression"',
        });
        continue;
      }
      const candidate = parsed.data;
      const verdict = verifyQuestion(candidate, instance, seen);
      if (!verdict.kept) {
        rejections.push({
          contextId: instance.id,
          attempt,
          reason: verdict.reason,
          detail: verdict.detail,
          question: candidate.question,
          expression: candidate.expression,
          ...(verdict.modelAnswer === undefined ? {} : { modelAnswer: verdict.modelAnswer }),
          ...(verdict.evaluatedAnswer === undefined ? {} : { evaluatedAnswer: verdict.evaluatedAnswer }),
        });
        continue;
      }
      seen.add(normalizeQuestionText(verdict.question));
      rows.push({
        id: `${instance.id}/q${rows.length}`,
        contextId: instance.id,
        template: instance.template,
        context: instance.context,
        query: verdict.question,
        answer: verdict.answer,
        expression: verdict.expression,
        modelAnswer: verdict.modelAnswer,
        modelSolution: verdict.solution,
        original: false,
      });
    }
    break;
  }
  return {
    version: 1,
    contextId: instance.id,
    seed: settings.seed,
    model: settings.model.spec,
    questionsPerContext: settings.questionsPerContext,
    modelCalls: attempt,
    rows,
    rejections,
  };
}

function originalRow(instance: GsmSymbolicInstance): MultiQueryRow {
  return {
    id: `${instance.id}/q0`,
    contextId: instance.id,
    template: instance.template,
    context: instance.context,
    query: instance.query,
    answer: instance.answer,
    expression: null,
    modelAnswer: null,
    modelSolution: null,
    original: true,
  };
}

/** What one model call gave: question items to verify one by one, or why there were none. */
export type QuestionsReply = { ok: true; items: unknown[] } | { ok: false; detail: string };

async function requestQuestions(
  prompt: { system: string; user: string },
  settings: ResolvedSettings,
  seed: number,
): Promise<QuestionsReply> {
  const callSettings = settings.model.callSettings(settings.budget);
  try {
    const result = await generateText({
      model: settings.model.languageModel,
      system: prompt.system,
      messages: [{ role: 'user', content: prompt.user }],
      output: Output.object({ schema: generatedQuestionsSchema, name: 'questions' }),
      // The model layer retries provider faults; the SDK's own retries would multiply them.
      maxRetries: 0,
      temperature: settings.temperature,
      seed,
      ...(callSettings.maxOutputTokens === undefined ? {} : { maxOutputTokens: callSettings.maxOutputTokens }),
      ...(callSettings.providerOptions === undefined ? {} : { providerOptions: callSettings.providerOptions }),
      ...(settings.signal === undefined ? {} : { abortSignal: settings.signal }),
    });
    if (result.output.questions.length === 0) return { ok: false, detail: 'the reply has an empty "questions" list' };
    return { ok: true, items: result.output.questions };
  } catch (error) {
    // The SDK wants the whole reply valid; a reply in a code fence, or with one bad question, is
    // still worth reading question by question.
    if (NoObjectGeneratedError.isInstance(error)) return salvageQuestions(error.text ?? '', error.finishReason);
    if (NoOutputGeneratedError.isInstance(error)) return { ok: false, detail: 'the reply had no text' };
    throw error;
  }
}

/** Reads `{"questions": [...]}` (or a bare array) from a reply the SDK could not validate whole. */
export function salvageQuestions(text: string, finishReason?: string): QuestionsReply {
  const suffix = finishReason === 'length' ? ' (the reply hit the output token limit)' : '';
  const value = parseLenientJson(text);
  if (value === undefined) return { ok: false, detail: `the reply is not JSON${suffix}` };
  const items = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && Array.isArray((value as { questions?: unknown }).questions)
      ? ((value as { questions: unknown[] }).questions)
      : undefined;
  if (items === undefined) return { ok: false, detail: 'the reply has no "questions" list' };
  if (items.length === 0) return { ok: false, detail: 'the reply has an empty "questions" list' };
  return { ok: true, items };
}

function parseLenientJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1];
  const first = text.search(/[[{]/);
  const last = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  const candidates = [text, fenced, first !== -1 && last > first ? text.slice(first, last + 1) : undefined];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // try the next reading
    }
  }
  return undefined;
}

/** A 31-bit provider seed per run seed, context and attempt. */
function derivedSeed(seed: number, contextId: string, attempt: number): number {
  return createHash('sha256').update(`multi-query:${seed}:${contextId}:${attempt}`).digest().readUInt32BE(0) >>> 1;
}
