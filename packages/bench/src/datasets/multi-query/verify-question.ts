/**
 * Checks one generated question against its instance. A question is kept only when:
 * 1. it has a question, a solution ending in `#### N`, and an expression (else `malformed`);
 * 2. its text is not the original question's, nor a kept one's (else `duplicate`);
 * 3. the expression parses, reads only the instance's variables and a few pure functions, and
 *    evaluates without a Python error (else `expression_error`);
 * 4. the value is a finite number (else `not_finite`);
 * 5. every variable it reads shows its value in the context or the new question (else
 *    `unstated_variable`): a template's hidden variables would make a question unanswerable;
 * 6. the value equals the model's `#### N` within the GSM grader's tolerance (else `answers_disagree`).
 * Two derivations that agree (the model's worked solution and an expression evaluated exactly
 * here) are what the paper's unverified questions lack.
 */
import { extractGsmAnswerFromReference } from '../grading.js';
import { evaluatePython, type GsmBindingValue } from '../gsm-symbolic/index.js';
import { freeNames, parseExpression } from '../gsm-symbolic/expression-parser.js';
import type { RejectionReason } from './multi-query-types.js';

/** The functions an expression may call: pure, and enough for grade-school arithmetic. */
export const allowedExpressionFunctions: readonly string[] = [
  'int',
  'round',
  'float',
  'abs',
  'min',
  'max',
  'sum',
  'len',
  'Fraction',
  'is_int',
  'divides',
];

// Model-written code runs here: a long expression is more likely a runaway than a formula, and a
// short cap also bounds work such as list repetition.
const maximumExpressionLength = 400;

export interface VerificationInstance {
  context: string;
  query: string;
  bindings: Readonly<Record<string, GsmBindingValue>>;
  labels: Readonly<Record<string, string>>;
}

export interface CandidateQuestion {
  question: string;
  solution: string;
  expression: string;
}

export type VerificationResult =
  | { kept: true; question: string; solution: string; expression: string; modelAnswer: number; answer: number }
  | {
      kept: false;
      reason: RejectionReason;
      detail: string;
      modelAnswer?: number;
      evaluatedAnswer?: number;
    };

/** Text reduced to lowercase words, so rewrapping or punctuation does not hide a copy. */
export function normalizeQuestionText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}.]+/gu, ' ')
    .replace(/\.(?!\d)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Verifies one candidate. `seenQuestions` holds the normalized text of the original question and
 * of the questions kept so far; the caller adds a kept question to it.
 */
export function verifyQuestion(
  candidate: CandidateQuestion,
  instance: VerificationInstance,
  seenQuestions: ReadonlySet<string>,
): VerificationResult {
  const question = candidate.question.trim();
  const expression = candidate.expression.trim();
  if (question === '' || expression === '') {
    return { kept: false, reason: 'malformed', detail: 'empty question or expression' };
  }
  const modelAnswer = extractGsmAnswerFromReference(candidate.solution);
  if (modelAnswer === undefined || !Number.isFinite(modelAnswer)) {
    return { kept: false, reason: 'malformed', detail: 'the solution does not end with "#### <number>"' };
  }
  if (seenQuestions.has(normalizeQuestionText(question))) {
    return { kept: false, reason: 'duplicate', detail: 'same text as the original or an earlier question', modelAnswer };
  }

  const evaluation = evaluateExpression(expression, instance);
  if (!evaluation.ok) return { kept: false, reason: evaluation.reason, detail: evaluation.detail, modelAnswer };
  const answer = evaluation.value;

  const unstated = unstatedVariables(evaluation.variables, instance, question);
  if (unstated.length > 0) {
    return {
      kept: false,
      reason: 'unstated_variable',
      detail: `the value of ${unstated.join(', ')} appears neither in the context nor in the question`,
      modelAnswer,
      evaluatedAnswer: answer,
    };
  }
  if (!numbersAgree(modelAnswer, answer)) {
    return {
      kept: false,
      reason: 'answers_disagree',
      detail: `the expression gives ${answer}, the solution ${modelAnswer}`,
      modelAnswer,
      evaluatedAnswer: answer,
    };
  }
  return { kept: true, question, solution: candidate.solution.trim(), expression, modelAnswer, answer };
}

/** gradeGsm's tolerance (relative 1e-6, absolute near zero), on numbers rather than text. */
function numbersAgree(modelAnswer: number, answer: number): boolean {
  return Math.abs(modelAnswer - answer) <= 1e-6 * Math.max(1, Math.abs(answer));
}

type ExpressionEvaluation =
  | { ok: true; value: number; variables: string[] }
  | { ok: false; reason: 'expression_error' | 'not_finite'; detail: string };

function evaluateExpression(expression: string, instance: VerificationInstance): ExpressionEvaluation {
  if (expression.length > maximumExpressionLength) {
    return { ok: false, reason: 'expression_error', detail: `longer than ${maximumExpressionLength} characters` };
  }
  let names: Set<string>;
  try {
    // `np.arange` reads the name `np`, which is not allowed: no attribute reaches a module.
    names = freeNames(parseExpression(expression));
  } catch (error) {
    return { ok: false, reason: 'expression_error', detail: `does not parse: ${(error as Error).message}` };
  }
  // The evaluator also knows the vocabularies and random helpers; an expression must not reach them.
  const variables: string[] = [];
  for (const name of names) {
    if (Object.hasOwn(instance.bindings, name)) variables.push(name);
    else if (!allowedExpressionFunctions.includes(name)) {
      return { ok: false, reason: 'expression_error', detail: `unknown name '${name}'` };
    }
  }
  let number: number | undefined;
  let isBoolean = false;
  try {
    const result = evaluatePython(expression, instance.bindings, instance.labels);
    number = result.number;
    isBoolean = typeof result.value === 'boolean';
  } catch (error) {
    return { ok: false, reason: 'expression_error', detail: (error as Error).message };
  }
  if (number === undefined || isBoolean || !Number.isFinite(number)) {
    return { ok: false, reason: 'not_finite', detail: 'the expression does not give a finite number' };
  }
  return { ok: true, value: number, variables: variables.sort() };
}

/** Variables whose value a reader could not find in the context or the new question. */
export function unstatedVariables(
  variables: readonly string[],
  instance: VerificationInstance,
  question: string,
): string[] {
  const text = `${instance.context} ${question}`;
  const lowerText = text.toLowerCase();
  const numbers = numbersIn(text);
  return variables.filter((name) => {
    const value = instance.bindings[name];
    const label = instance.labels[name];
    if (label !== undefined && lowerText.includes(label.toLowerCase())) return false;
    if (typeof value === 'string') return !lowerText.includes(value.toLowerCase());
    if (typeof value === 'number') return !numbers.some((number) => Math.abs(number - value) <= 1e-9 * Math.max(1, Math.abs(value)));
    // A list is a set of choices or a table; whether the question shows it cannot be told from text.
    return false;
  });
}

/** Every number written in digits: `1,200`, `$0.30`, `2.5`, and `3/4` both as 3, 4 and 0.75. */
function numbersIn(text: string): number[] {
  const numbers: number[] = [];
  for (const match of text.matchAll(/\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?/g)) {
    numbers.push(Number(match[0].replace(/,/g, '')));
  }
  for (const match of text.matchAll(/(\d+)\s*\/\s*(\d+)/g)) {
    const denominator = Number(match[2]);
    if (denominator !== 0) numbers.push(Number(match[1]) / denominator);
  }
  return numbers;
}
