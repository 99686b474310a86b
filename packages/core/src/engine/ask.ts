/**
 * An ask: a question about a context, answered in one model call from a prompt laid out for prefix
 * caching (instructions, learned context and raw context in the system message, identical for
 * every question; the verbosity instruction and the question in the user message).
 */
import { userError } from '../errors.js';
import { withoutUndefined } from '../without-undefined.js';
import { defaultAskMaxOutputTokens, defaultVerbosity } from './engine-defaults.js';
import type { EngineDeps } from './engine-deps.js';
import type { AskOptions, AskResult } from './engine-types.js';
import { askBudgetSchema, parseOptions } from './option-schemas.js';
import { buildAskPrompt, type Verbosity } from './prompts.js';
import { prepareTestTimeCall, type PreparedTestTimeCall, type TestTimeAnswer } from './test-time-call.js';

export interface PreparedAsk {
  prepared: PreparedTestTimeCall;
  toResult(answer: TestTimeAnswer): AskResult;
}

export async function prepareAsk(
  deps: EngineDeps,
  contextId: string,
  question: string,
  askOptions: AskOptions,
  runSettings: Record<string, unknown> = {},
): Promise<PreparedAsk> {
  if (typeof question !== 'string' || question.trim() === '') throw userError('empty_question', 'The question is empty');
  const parsed = parseOptions(askBudgetSchema, askOptions);
  const verbosity = (parsed.verbosity ?? defaultVerbosity) as Verbosity;
  const useLearned = parsed.useLearned ?? true;
  const includeContext = parsed.includeContext ?? true;
  const temperature = parsed.temperature ?? 0;
  const prepared = await prepareTestTimeCall(deps, {
    contextId,
    what: 'ask',
    failureCode: 'ask_failed',
    question,
    settings: withoutUndefined({
      verbosity,
      effort: parsed.effort,
      thinkingBudget: parsed.thinkingBudget,
      maxOutputTokens: parsed.maxOutputTokens,
      useLearned,
      includeContext,
      temperature,
      ...runSettings,
    }),
    budget: withoutUndefined({ maxOutputTokens: parsed.maxOutputTokens, effort: parsed.effort, thinkingBudget: parsed.thinkingBudget }),
    defaultMaxOutputTokens: defaultAskMaxOutputTokens[verbosity],
    useLearned,
    check: (learned) => {
      if (!includeContext && learned === undefined) {
        throw userError(
          'nothing_to_answer_from',
          `Context "${contextId}" has no learned context and the raw context was left out: nothing to answer from`,
          { contextId },
        );
      }
    },
    prompt: ({ context, learned }) => {
      const prompt = buildAskPrompt({ question, verbosity, learnedContext: learned?.text, contextText: includeContext ? context.text : undefined });
      return { system: prompt.system, messages: [{ role: 'user', content: prompt.user }] };
    },
    temperature,
    signal: askOptions.signal,
  });
  return {
    prepared,
    toResult: ({ outcome, text, final }) => {
      const { runId, contextId: id, ...rest } = outcome;
      return { runId, contextId: id, question, answer: text, final, ...rest };
    },
  };
}
