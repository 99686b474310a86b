/**
 * The benchmarks' graders, as the paper describes them (SPEC section 3):
 * - GSM: the last number in the model's answer, with `$`, thousands commas and a trailing '.'
 *   stripped, compared numerically with the number after `#### ` in the reference answer.
 * - AIME: the last `\boxed{}` read as an integer, else the last 1-3 digit integer in the answer.
 */
import { userError } from '@sleeptime/core';
import { lastBoxedContent } from '@sleeptime/core';

// A number not glued to a word ("x2") or to a decimal point: optional sign and `$`, then thousands
// groups or plain digits, then optional decimals. `$-5` and `-$5` both read as -5.
const gsmNumberPattern = /(?<![\p{L}\p{N}_.])-?\$?-?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?/gu;

/**
 * The last number in a model's answer as a number, or undefined when there is none. `$1,234.50.`
 * reads as 1234.5; `25%` as 25; `10-5` ends with 5, not -5.
 */
export function extractGsmAnswer(modelAnswer: string): number | undefined {
  let last: string | undefined;
  for (const match of modelAnswer.matchAll(gsmNumberPattern)) last = match[0];
  return last === undefined ? undefined : parseGsmNumber(last);
}

/** The number after the last `####` of a GSM reference answer (`... #### 1,234`), or undefined. */
export function extractGsmAnswerFromReference(referenceAnswer: string): number | undefined {
  const marker = referenceAnswer.lastIndexOf('####');
  if (marker === -1) return undefined;
  const match = new RegExp(gsmNumberPattern.source, 'u').exec(referenceAnswer.slice(marker + 4));
  return match === null ? undefined : parseGsmNumber(match[0]);
}

/**
 * True when the last number in `modelAnswer` equals `expected`: a number, a numeric string
 * (`"$1,234"`), or a reference answer with `#### N`. Floats compare with a relative tolerance of
 * 1e-6, so 51.84 computed as 51.840000000000003 still matches; 51.8 does not.
 */
export function gradeGsm(modelAnswer: string, expected: number | string): boolean {
  const target = expectedGsmNumber(expected);
  const answer = extractGsmAnswer(modelAnswer);
  if (answer === undefined) return false;
  return Math.abs(answer - target) <= 1e-6 * Math.max(1, Math.abs(target));
}

/**
 * The model's AIME answer: the last `\boxed{...}` as an integer (`025` is 25; `\text{}`, `$`,
 * spaces, degree signs and a `m+n=` prefix are tolerated), else the last 1-3 digit integer standing
 * alone in the text. A box that holds no integer (`\boxed{\frac{3}{4}}`) is a committed non-integer
 * answer: undefined, with no fallback to other numbers.
 */
export function extractAimeAnswer(modelAnswer: string): number | undefined {
  const boxed = lastBoxedContent(modelAnswer);
  if (boxed !== undefined && boxed.trim() !== '') return parseBoxedInteger(boxed);
  let last: string | undefined;
  for (const match of modelAnswer.matchAll(/(?<![\d.,])\d{1,3}(?![\d]|[.,]\d)/g)) last = match[0];
  return last === undefined ? undefined : Number.parseInt(last, 10);
}

/** True when the model's AIME answer (see {@link extractAimeAnswer}) equals `expected`. */
export function gradeAime(modelAnswer: string, expected: number): boolean {
  if (!Number.isInteger(expected)) {
    throw userError('invalid_expected_answer', `An AIME answer must be an integer, got ${expected}.`, {
      expected,
    });
  }
  return extractAimeAnswer(modelAnswer) === expected;
}

function parseGsmNumber(raw: string): number {
  let value = raw.replace(/[$,]/g, '');
  if (value.endsWith('.')) value = value.slice(0, -1);
  // "-$-5" cannot come from the pattern twice over, but "--5" could: keep one sign.
  if (value.startsWith('--')) value = value.slice(1);
  return Number(value);
}

function expectedGsmNumber(expected: number | string): number {
  if (typeof expected === 'number') {
    if (Number.isFinite(expected)) return expected;
  } else {
    const fromReference = expected.includes('####') ? extractGsmAnswerFromReference(expected) : undefined;
    const plain = expected.trim().replace(/[$,]/g, '').replace(/\.$/, '');
    const value = fromReference ?? (plain === '' ? Number.NaN : Number(plain));
    if (Number.isFinite(value)) return value;
  }
  throw userError('invalid_expected_answer', `The expected GSM answer is not a number: ${JSON.stringify(expected)}.`, {
    expected,
  });
}

function parseBoxedInteger(content: string): number | undefined {
  let value = content
    .replace(/\\(?:text|textbf|mathbf|mathrm|mbox)\s*\{([^{}]*)\}/g, '$1')
    .replace(/\^\s*\{?\s*\\circ\s*\}?|°|\\%|%|\\[,;:! ]|\$|\s/g, '');
  // "m+n=204": the value is what follows the last '='.
  const equals = value.lastIndexOf('=');
  if (equals !== -1) value = value.slice(equals + 1);
  value = value.replace(/\.$/, '');
  if (/^\d{1,3}(?:,\d{3})+$/.test(value)) value = value.replace(/,/g, '');
  const integer = /^[+-]?\d+(?:\.0+)?$/.exec(value);
  return integer === null ? undefined : Number.parseInt(value, 10);
}
