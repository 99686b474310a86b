/**
 * Pulls the final answer out of a model's reply, in the order graders use: the last `\boxed{...}`,
 * else the number after the last "answer is", else the last number in the text.
 */

// A number not glued to a word or another number: optional sign and `$`, thousands groups or plain
// digits, optional decimals, optional `/denominator` (fractions stay whole: "3/4", not "4").
const numberPattern =
  /(?<![\w.,/])-?\$?-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\/\d+(?:\.\d+)?)?(?![\d])/g;

const wholeNumberPattern = /^-?\$?-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\/\d+(?:\.\d+)?)?\.?$/;

/** Strips `$`, thousands commas and a trailing '.'; keeps the sign and the decimals. */
export function normalizeNumber(raw: string): string {
  let value = raw.trim().replace(/\$/g, '').replace(/,/g, '');
  if (value.endsWith('.')) value = value.slice(0, -1);
  return value;
}

/** The content of the last balanced `\boxed{...}` (nested braces allowed), or undefined. */
export function lastBoxedContent(text: string): string | undefined {
  const opener = /\\boxed\s*\{/g;
  const starts: number[] = [];
  for (let match = opener.exec(text); match !== null; match = opener.exec(text)) {
    starts.push(match.index + match[0].length);
  }
  // Walk backwards so a truncated last box (no closing brace) falls back to the one before it.
  for (let index = starts.length - 1; index >= 0; index -= 1) {
    const start = starts[index] as number;
    let depth = 1;
    for (let position = start; position < text.length; position += 1) {
      const character = text[position];
      if (character === '{') depth += 1;
      else if (character === '}') {
        depth -= 1;
        if (depth === 0) return text.slice(start, position);
      }
    }
  }
  return undefined;
}

function lastNumber(text: string): string | undefined {
  let last: string | undefined;
  for (const match of text.matchAll(numberPattern)) last = match[0];
  return last;
}

function firstNumber(text: string): string | undefined {
  const match = text.match(new RegExp(numberPattern.source));
  return match?.[0];
}

export interface ExtractFinalAnswerOptions {
  /**
   * Only an announced answer (a box, "answer is"), never the last number: for a reply cut short by a
   * limit, whose last number is wherever the cut fell.
   */
  announcedOnly?: boolean;
}

export function extractFinalAnswer(text: string, options: ExtractFinalAnswerOptions = {}): string | null {
  const boxed = lastBoxedContent(text);
  if (boxed !== undefined) {
    const content = boxed.trim();
    if (content !== '') return wholeNumberPattern.test(content) ? normalizeNumber(content) : content;
  }

  const answerIsPattern = /answer\s+is/gi;
  let lastAnswerIsEnd: number | undefined;
  for (const match of text.matchAll(answerIsPattern)) lastAnswerIsEnd = match.index + match[0].length;
  if (lastAnswerIsEnd !== undefined) {
    // Only the rest of that line: a number three paragraphs later is not what "answer is" announced.
    const restOfLine = text.slice(lastAnswerIsEnd).split('\n', 1)[0] ?? '';
    const number = firstNumber(restOfLine);
    if (number !== undefined) return normalizeNumber(number);
  }

  if (options.announcedOnly === true) return null;
  const last = lastNumber(text);
  return last === undefined ? null : normalizeNumber(last);
}
