/**
 * The prompt that asks a model for new questions about one GSM-Symbolic context. The model sees
 * the context, the original question with its answer (to calibrate difficulty), and the variables
 * behind the numbers, and answers each new question twice: in words (ending in `#### N`) and as an
 * expression over those variables, so the two can be checked against each other.
 */
import { z } from 'zod';
import type { GsmBindingValue } from '../gsm-symbolic/index.js';
import { allowedExpressionFunctions, unstatedVariables } from './verify-question.js';

export interface MultiQueryPromptInput {
  context: string;
  /** The question originally asked about the context. */
  query: string;
  /** Its answer, shown so the model can match the difficulty. */
  answer: number;
  bindings: Readonly<Record<string, GsmBindingValue>>;
  labels: Readonly<Record<string, string>>;
  questionsPerContext: number;
}

export interface MultiQueryPrompt {
  system: string;
  user: string;
}

/** The shape asked of the model; validated question by question, so one bad item costs only itself. */
export const generatedQuestionSchema = z.object({
  question: z.string().describe('The new question, one or two sentences, without repeating the context.'),
  solution: z.string().describe('A short step-by-step solution whose last line is "#### <number>".'),
  expression: z.string().describe('One Python expression over the listed variables that computes the answer.'),
});

export const generatedQuestionsSchema = z.object({
  questions: z.array(generatedQuestionSchema),
});

export type GeneratedQuestions = z.infer<typeof generatedQuestionsSchema>;

const systemPrompt = [
  'You write additional questions for a benchmark of grade-school math word problems.',
  'Given the opening of a problem (the context), the question that was asked about it, and the variables behind the numbers in the text,',
  'you invent new questions about the same situation and solve each one twice: once in words, once as a formula.',
  'Reply with a single JSON object and nothing else.',
].join(' ');

/** The system and user messages for one context. */
export function multiQueryPrompt(input: MultiQueryPromptInput): MultiQueryPrompt {
  const names = Object.keys(input.bindings).sort();
  const hidden = new Set(unstatedVariables(names, input, ''));
  const shownNames = names.filter((name) => !hidden.has(name));
  const hiddenNames = names.filter((name) => hidden.has(name));
  const shownLines = shownNames.map((name) => describeVariable(name, input));
  const hiddenLines = hiddenNames.map((name) => describeVariable(name, input));
  const count = input.questionsPerContext;

  const user = [
    'Context:',
    input.context,
    '',
    `Original question: ${input.query}`,
    `Its answer: ${formatNumber(input.answer)}`,
    '',
    'Variables whose values appear in the context:',
    ...(shownLines.length > 0 ? shownLines : ['(none)']),
    ...(hiddenLines.length > 0
      ? [
          '',
          'Variables whose values do not appear in the context (use one only if your question states its value):',
          ...hiddenLines,
        ]
      : []),
    '',
    `Write ${count} new question${count === 1 ? '' : 's'} about this context. Each one must:`,
    '- be answerable from the context plus what the question itself says, with a single number as the answer;',
    '- take about as many reasoning steps as the original question, with the same kind of arithmetic;',
    '- ask something different from the original question and from the other new questions, not a rewording;',
    '- not repeat the context: it will be shown together with the context.',
    '',
    'For each question give:',
    '- "question": its text;',
    '- "solution": a short step-by-step solution whose last line is "#### <number>", with the final number only (no units, no $ sign);',
    `- "expression": one Python expression that computes the same number from the variables above, for example \`${exampleExpression([...shownNames, ...hiddenNames], input.bindings)}\`.`,
    `  Use only the variable names, numbers, + - * / // % ** and parentheses, and the functions ${allowedExpressionFunctions.join(', ')}.`,
    '  A name stands for its number even when the text shows it as a word. A number in the text with no variable is written as the number itself.',
    '  `/` divides exactly; use `//` only for whole-number division.',
    '',
    'Reply with JSON of this form:',
    '{"questions": [{"question": "...", "solution": "...\\n#### 42", "expression": "..."}]}',
  ].join('\n');
  return { system: systemPrompt, user };
}

function describeVariable(name: string, input: MultiQueryPromptInput): string {
  const value = input.bindings[name] as GsmBindingValue;
  const label = input.labels[name];
  const shown = typeof value === 'number' ? formatNumber(value) : JSON.stringify(value);
  return label === undefined ? `- ${name} = ${shown}` : `- ${name} = ${shown} (written as "${label}")`;
}

/** Bindings hold floats such as 0.3333333333333333; a dozen significant digits are enough to read. */
function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
}

/** An example built from the instance's own numeric variables (shown ones first), so the syntax is concrete. */
function exampleExpression(names: readonly string[], bindings: Readonly<Record<string, GsmBindingValue>>): string {
  const numeric = names.filter((name) => typeof bindings[name] === 'number');
  if (numeric.length >= 2) return `(${numeric[0]} + ${numeric[1]}) * 2`;
  if (numeric.length === 1) return `${numeric[0]} * 2 - 1`;
  return 'int(10 / 4)';
}
