/**
 * Test helpers for the runner: a script for the scripted OpenAI-compatible server that plays a
 * sleep-time agent, an answerer and a context-only guesser, deterministically from each request's
 * content (so two runs of one grid get the same replies whatever the order of their calls), and
 * logs every reply it sent with the usage it reported. Only test files (and the test child process)
 * import this module.
 */
import { createHash } from 'node:crypto';
import type { BenchItem } from '../bench-types.js';
import type {
  ChatMessage,
  RecordedRequest,
  ScriptedOpenAIServerScript,
  ScriptedReply,
  ScriptedUsage,
} from '@sleeptime/core/testing';
import { contextOnlySystemPrompt } from './bench-prompts.js';
import { deriveSeed } from './grid.js';

export type BenchRequestKind = 'sleep' | 'ask' | 'context-only';

export interface BenchRequestInfo {
  kind: BenchRequestKind;
  /** The `<context>` block of the request, when it has one. */
  context: string | null;
  /** The question (asks only). */
  question: string | null;
  /** The `<learned_context>` block (sleep-time asks only). */
  learned: string | null;
  /** The user message (asks, context-only). */
  user: string;
  temperature: number | null;
  seed: number | null;
  /** Sleep requests: whether the memory was already rewritten (a tool result is in the messages). */
  afterRewrite: boolean;
}

export interface BenchServerLogEntry {
  info: BenchRequestInfo;
  request: RecordedRequest;
  usage: ScriptedUsage;
  /** The reply's text, for asks. */
  text: string | null;
}

export interface BenchScriptOptions {
  /** The reply text of an ask or a context-only request. */
  answer: (info: BenchRequestInfo) => string;
  /** A reply to send instead (e.g. `{ status: 500 }`); replies of this kind are not logged. */
  override?: (info: BenchRequestInfo) => ScriptedReply | undefined | Promise<ScriptedReply | undefined>;
}

function messageText(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '')).join('');
  }
  return '';
}

function block(text: string, tag: string): string | null {
  const start = text.indexOf(`<${tag}>\n`);
  const end = text.indexOf(`\n</${tag}>`);
  return start === -1 || end === -1 ? null : text.slice(start + tag.length + 3, end);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function describeBenchRequest(request: RecordedRequest): BenchRequestInfo {
  const messages = request.body.messages ?? [];
  const system = messageText(messages.find((message) => message.role === 'system'));
  const user = messageText(messages.find((message) => message.role === 'user'));
  const isSleep = (request.body.tools ?? []).some((tool) => tool.function.name === 'rethink_memory');
  const kind: BenchRequestKind = isSleep ? 'sleep' : system === contextOnlySystemPrompt ? 'context-only' : 'ask';
  const questionMatch = /\n\nQuestion: ([\s\S]*)$/.exec(user);
  return {
    kind,
    context: block(isSleep || kind === 'context-only' ? user : system, 'context'),
    question: kind === 'ask' ? (questionMatch?.[1] ?? null) : null,
    learned: kind === 'ask' ? block(system, 'learned_context') : null,
    user,
    temperature: typeof request.body.temperature === 'number' ? request.body.temperature : null,
    seed: typeof request.body.seed === 'number' ? request.body.seed : null,
    afterRewrite: messages.some((message) => message.role === 'tool'),
  };
}

/** Usage derived from the request's content: distinct per request, identical across runs. */
function usageFor(request: RecordedRequest): ScriptedUsage {
  const hash = Number.parseInt(digest(request.rawBody).slice(0, 8), 16);
  return { prompt_tokens: 100 + (hash % 900), completion_tokens: 10 + (hash % 90), reasoning_tokens: hash % 7 };
}

export function createBenchScript(options: BenchScriptOptions): { script: ScriptedOpenAIServerScript; log: BenchServerLogEntry[] } {
  const log: BenchServerLogEntry[] = [];
  const script: ScriptedOpenAIServerScript = async (request) => {
    const info = describeBenchRequest(request);
    const override = await options.override?.(info);
    if (override !== undefined) return override;
    const usage = usageFor(request);
    // Tool-call ids from the content, not the arrival order: replies must not depend on timing.
    const callId = `call_${digest(request.rawBody).slice(0, 12)}`;
    if (info.kind === 'sleep') {
      log.push({ info, request, usage, text: null });
      if (info.afterRewrite) return { toolCalls: [{ id: callId, name: 'finish_rethinking', arguments: {} }], usage };
      const memory = `Notes (seed ${info.seed ?? 'none'}): ${info.context ?? ''}`;
      return { toolCalls: [{ id: callId, name: 'rethink_memory', arguments: { new_memory: memory } }], usage };
    }
    const text = options.answer(info);
    log.push({ info, request, usage, text });
    return { text, usage };
  };
  return { script, log };
}

/** Two contexts: one with two queries (a Multi-Query-like group), one with a single query. */
export const benchTestItems: BenchItem[] = [
  {
    id: 'apples-1',
    dataset: 'multi-query-test',
    contextGroup: 'apples',
    context: 'Ann has 3 apples. Bob has 5 apples.',
    query: 'How many apples do they have together?',
    answer: 8,
    grader: 'gsm',
  },
  {
    id: 'apples-2',
    dataset: 'multi-query-test',
    contextGroup: 'apples',
    context: 'Ann has 3 apples. Bob has 5 apples.',
    query: 'How many more apples does Bob have than Ann?',
    answer: 2,
    grader: 'gsm',
  },
  {
    id: 'pens-1',
    dataset: 'multi-query-test',
    contextGroup: 'pens',
    context: 'A box holds 12 pens.',
    query: 'How many pens are in 3 boxes?',
    answer: 36,
    grader: 'gsm',
  },
];

/**
 * The answers the tests expect: test-time only gets apples-1 right and the others wrong; with a
 * learned context every answer is right; a pass@k sample is right only when it is sample 2 (so
 * pass@1 and pass@2 fail and pass@5 succeeds); context-only guesses 8 on apples and 12 on pens.
 */
export function standardBenchAnswer(info: BenchRequestInfo): string {
  if (info.kind === 'context-only') {
    return info.context?.includes('apples') === true ? 'They will ask for the total. The answer is 8.' : 'The answer is 12.';
  }
  const item = benchTestItems.find((candidate) => candidate.query === info.question);
  if (item === undefined) return 'The answer is 0.';
  const right = `The answer is ${item.answer}.`;
  const wrong = `The answer is ${item.answer + 1}.`;
  if (info.learned !== null) return right;
  if ((info.temperature ?? 0) > 0) return info.seed === deriveSeed(0, 'pass-at-k-sample-2') ? right : wrong;
  return item.id === 'apples-1' ? right : wrong;
}
