/**
 * Loop detection for local generation: small models fall into loops ("The answer is 2." thousands
 * of times, a tool argument that repeats one sentence to the token limit, "1. The answer is 2.",
 * "2. The answer is 2.", ...). A loop is the end of the output being one span repeated back to
 * back, many times.
 *
 * Two tests, each with thresholds that legitimate repetitive text does not reach:
 * - verbatim: a span repeated at least `minRepeats` times over at least `minLoopChars` characters.
 *   A markdown table separator, a row of zeros, a horizontal rule or an indented block repeat a
 *   short span, but not for hundreds of characters.
 * - counting: the same with every run of digits taken as equal (a numbered list of one line), at
 *   least `minCountingRepeats` times over at least `minCountingLoopChars`. A table of numbers has
 *   that shape too, so this one waits much longer: about a thousand characters of it.
 * Waiting costs a looping call a few dozen to a few hundred tokens more; stopping legitimate text
 * would cost the answer.
 */

export interface LoopDetection {
  /** Back-to-back repeats of the span needed to call it a loop. */
  minRepeats: number;
  /** Characters the repeated run must cover (so short spans need many repeats). */
  minLoopChars: number;
  /** Longest span looked for (a repeated paragraph up to this length is found). */
  maxSpanChars: number;
  /** Repeats needed when digits are taken as equal (the counting test); 0 turns that test off. */
  minCountingRepeats: number;
  /** Characters the counting run must cover. */
  minCountingLoopChars: number;
}

/**
 * See the module comment: a span of up to 1,024 characters repeated ≥ 4 times over ≥ 256
 * characters, or, digits aside, ≥ 8 times over ≥ 1,024 characters.
 */
export const DEFAULT_LOOP_DETECTION: Readonly<LoopDetection> = Object.freeze({
  minRepeats: 4,
  minLoopChars: 256,
  maxSpanChars: 1024,
  minCountingRepeats: 8,
  minCountingLoopChars: 1024,
});

export interface TrailingLoop {
  /** The repeated span (the shortest period of the run). */
  span: string;
  /** How many times it repeats at the end of the text (whole repeats). */
  repeats: number;
}

/**
 * The loop the text ends in, if any: the shortest verbatim span that qualifies, else the shortest
 * counting one (its span then shows each run of digits as `#`).
 */
export function findTrailingLoop(text: string, detection: LoopDetection = DEFAULT_LOOP_DETECTION): TrailingLoop | undefined {
  const verbatim = findPeriodicEnd(text, detection.minRepeats, detection.minLoopChars, detection.maxSpanChars);
  if (verbatim !== undefined || detection.minCountingRepeats <= 0) return verbatim;
  return findPeriodicEnd(text.replace(/\d+/g, '#'), detection.minCountingRepeats, detection.minCountingLoopChars, detection.maxSpanChars);
}

function findPeriodicEnd(text: string, minRepeats: number, minLoopChars: number, maxSpanChars: number): TrailingLoop | undefined {
  const length = text.length;
  const longestSpan = Math.min(maxSpanChars, Math.floor(length / minRepeats));
  for (let span = 1; span <= longestSpan; span++) {
    const needed = Math.max(span * minRepeats, minLoopChars);
    if (needed > length) continue;
    // The last `needed` characters have period `span`; most spans fail on the first comparison.
    let index = length - 1;
    const stopAt = length - needed + span;
    while (index >= stopAt && text.charCodeAt(index) === text.charCodeAt(index - span)) index--;
    if (index >= stopAt) continue;
    while (index >= span && text.charCodeAt(index) === text.charCodeAt(index - span)) index--;
    const runLength = length - index + span - 1;
    return { span: text.slice(length - span), repeats: Math.floor(runLength / span) };
  }
  return undefined;
}

/**
 * New characters between two looks at the tail: a loop is noticed at most this much later, and a
 * look (a scan of up to a few thousand characters) is paid every few tokens instead of every token.
 */
const CHECK_EVERY_CHARS = 16;

/** Watches generated text as it streams and says when its end has become a loop. */
export class LoopDetector {
  private tail = '';
  private unchecked = 0;
  private found: TrailingLoop | undefined;
  private readonly keep: number;

  constructor(private readonly detection: LoopDetection = DEFAULT_LOOP_DETECTION) {
    // Enough for the longest qualifying run; the tail is trimmed in steps so appends stay cheap.
    this.keep = Math.max(
      detection.maxSpanChars * Math.max(detection.minRepeats, detection.minCountingRepeats),
      detection.minLoopChars,
      detection.minCountingLoopChars,
    );
  }

  /** Adds the next piece of output; true once the output ends in a loop. */
  push(text: string): boolean {
    if (this.found !== undefined) return true;
    if (text === '') return false;
    this.tail += text;
    this.unchecked += text.length;
    if (this.unchecked < CHECK_EVERY_CHARS) return false;
    this.unchecked = 0;
    if (this.tail.length > 2 * this.keep) this.tail = this.tail.slice(-this.keep);
    this.found = findTrailingLoop(this.tail, this.detection);
    return this.found !== undefined;
  }

  /** The loop found, once `push` has returned true. */
  get loop(): TrailingLoop | undefined {
    return this.found;
  }
}
