/**
 * The stateful split: a problem becomes a context `c` (known ahead of time) and a query `q` (asked
 * later). Context = every sentence but the last, query = the last sentence; except that a note
 * following the question stays with it: when prose sentences that do not ask follow the last
 * sentence that asks ("How long will it take her? Note that Emily can't work in parallel."), the
 * query is the question and those sentences, so the question is never seen at sleep time.
 *
 * How this differs from the paper's split
 * ---------------------------------------
 * The paper's split cuts the problem on every '.' (SPEC section 3). That breaks decimals (`2.5`
 * becomes "...has 2." and "5 liters..."), money (`$1,234.50`), abbreviations (`Mr. Roper`) and
 * LaTeX (`$x.$`, `unitsize(0.1cm);` inside AIME figures), so a query can be a fragment and a
 * context can end mid-number. In the 250 GSM-Symbolic template questions (default values), 28 hold
 * a decimal or a title, and for 8 the paper's query is a fragment ("Cruz's budget?", "50, how much
 * will he earn...?"). This splitter finds sentence ends instead:
 * - A sentence ends at `.`, `?` or `!`, after any closing quotes or brackets (`."`, `?”`, `.)`),
 *   only when whitespace (or the end of the text) follows and the next character is not a lowercase
 *   letter. So `2.5`, `$1,234.50`, `U.S.` mid-word and `"Why?" he asked` never cut.
 * - Title and Latin abbreviations never end a sentence: Mr., Mrs., Ms., Dr., St., Prof., Sr., Jr.,
 *   Mt., vs., e.g., i.e., cf., viz., approx. Fig., Figs., Eq. and Eqs. do not either when a number
 *   follows ("Fig. 3", "Eq. (2)"); otherwise they are words ("70 figs. He bought..." ends a sentence,
 *   as it must in GSM-Symbolic's symbolic/0091). Others (etc., a.m., p.m., U.S.) end one only
 *   when a capitalized word follows ("at 5 p.m. How many..." cuts, "at 5 p.m. on Monday" does not).
 * - An ellipsis (`...`, `…`) never ends a sentence: in word problems it elides, it does not stop.
 * - A list marker at the start of a line (`1.`, `a.`, `iv.`) is not a sentence end.
 * - Nothing inside LaTeX is cut: `$...$` (with pandoc's rule, so money like `$5 and $7` is not
 *   math), `$$...$$`, `\(...\)`, `\[...\]`, `\begin{env}...\end{env}`, `<asy>...</asy>`,
 *   `\includegraphics`. A math span whose content ends with a period (`for all $x.$ The graph`)
 *   ends the sentence after its closing delimiter.
 * - A figure (`<asy>`, `\begin{asy}`, `\begin{tikzpicture}`, `\begin{figure}`, `\includegraphics`)
 *   that starts a line is a segment of its own. Segments with no prose outside LaTeX (figures,
 *   display math or tables standing alone) are never the query: they describe the situation, so they
 *   stay in the context, even when they follow the question (common in AIME: "Find $CE$." then the
 *   figure). Only then is the context not a plain prefix of the text.
 * - Newlines inside a sentence are kept (AIME's .tex files break lines mid-sentence); a blank line
 *   alone does not end a sentence (bullet lists without periods stay one sentence).
 * - A question's trailing note: the question ends with '?' or opens with an imperative (see
 *   {@link isQuestionSentence}); prose sentences right after the last such sentence are its notes
 *   and join the query. The paper's split, which cuts only on '.', keeps them together too ("...?
 *   Note that ..." has no '.' between them). In GSM-Symbolic only p1/0048, p2/0027 and p2/0048 have
 *   one; without this rule their note was the query and the question went to the context. When no
 *   sentence asks, the query is the last prose sentence.
 * - One sentence only: the query is the whole text and the context is empty, so the question is
 *   never lost; callers that need a non-empty context filter such items. Empty text is an error.
 * - Surrounding whitespace is trimmed; spacing inside sentences is preserved verbatim.
 * Known limits: a single capital initial (`John F. Kennedy`) does cut; `U.S. Army` cuts.
 */
import { userError } from '@sleeptime/core';

/** `sentence`: has prose. `figure`: a figure alone. `display`: display math or a table alone. */
export type SegmentKind = 'sentence' | 'figure' | 'display';

export interface TextSegment {
  /** The segment, trimmed: exactly `source.slice(start, end)`. */
  text: string;
  start: number;
  end: number;
  kind: SegmentKind;
}

export interface StatefulSplit {
  context: string;
  query: string;
}

// Abbreviations after which a capitalized word is a name or an example, not a new sentence.
const nonTerminalAbbreviations = new Set([
  'mr', 'mrs', 'ms', 'dr', 'st', 'prof', 'sr', 'jr', 'mt', 'vs', 'e.g', 'i.e', 'cf', 'viz', 'approx', 'resp',
]);

// Abbreviations that are also words ("figs" the fruit): not a sentence end only before a number.
const referenceAbbreviations = new Set(['fig', 'figs', 'eq', 'eqs']);

const figureEnvironments = new Set(['asy', 'tikzpicture', 'figure', 'picture', 'pspicture']);

const closingCharacters = new Set(['"', "'", '”', '’', ')', ']', '»']);

interface ProtectedSpan {
  start: number;
  end: number;
  isFigure: boolean;
}

/** The sentences of `text`, trimmed, in order (figures and display blocks included as segments). */
export function splitSentences(text: string): string[] {
  return segmentSentences(text).map((segment) => segment.text);
}

/** Sentences with their offsets in `text` and whether they hold prose. */
export function segmentSentences(text: string): TextSegment[] {
  const { cuts, spans } = scan(text);
  const segments: TextSegment[] = [];
  const points = [...new Set([0, ...cuts, text.length])].sort((left, right) => left - right);
  for (let index = 0; index + 1 < points.length; index += 1) {
    let start = points[index] as number;
    let end = points[index + 1] as number;
    while (start < end && isWhitespace(text[start])) start += 1;
    while (end > start && isWhitespace(text[end - 1])) end -= 1;
    if (start === end) continue;
    segments.push({ text: text.slice(start, end), start, end, kind: kindOf(text, start, end, spans) });
  }
  return segments;
}

/**
 * Context = every sentence but the last, query = the last sentence with prose, together with the
 * question before it when that sentence is only its note (see the file header). A text of one
 * sentence gives an empty context and the whole text as the query.
 */
export function splitStateful(text: string): StatefulSplit {
  const segments = nonEmptySegments(text);
  const last = segments.filter((segment) => segment.kind === 'sentence').at(-1) ?? (segments.at(-1) as TextSegment);
  return cutOut(text, withPrecedingQuestion(text, segments, last));
}

/**
 * When `last` does not ask, the last sentence that asks before it and every segment in between,
 * provided they are all prose (a question and its notes); otherwise `last` alone. Returned as one
 * segment covering that stretch of the text.
 */
function withPrecedingQuestion(text: string, segments: readonly TextSegment[], last: TextSegment): TextSegment {
  if (last.kind !== 'sentence' || isQuestionSentence(last.text)) return last;
  for (let index = segments.indexOf(last) - 1; index >= 0; index -= 1) {
    const segment = segments[index] as TextSegment;
    // A figure or a display between the question and the note: the note stands alone.
    if (segment.kind !== 'sentence') return last;
    if (isQuestionSentence(segment.text)) {
      const start = segment.start;
      return { text: text.slice(start, last.end), start, end: last.end, kind: 'sentence' };
    }
  }
  return last;
}

/**
 * Like {@link splitStateful}, but the query is the last sentence that asks (ends with '?' or opens
 * with an imperative such as Find or Compute); any sentence after it goes to the context. For
 * AIME, where a note ("Here $i=\sqrt{-1}.$") or an example sometimes follows the question. Falls
 * back to the last prose sentence when none asks.
 */
export function splitAtQuestion(text: string): StatefulSplit {
  const segments = nonEmptySegments(text);
  const prose = segments.filter((segment) => segment.kind === 'sentence');
  const asking = prose.filter((segment) => isQuestionSentence(segment.text));
  return cutOut(text, asking.at(-1) ?? prose.at(-1) ?? (segments.at(-1) as TextSegment));
}

// A question either ends with '?' or is an imperative: "Find ...", or "If ..., find ..." after a
// comma. Sentences opening with "When" or "Which" without a '?' are statements ("When she walks").
const imperativeOpener =
  /(?:^|,\s+)(?:find|compute|determine|evaluate|calculate|express|give|prove|show)\b/i;

/** True for a sentence that asks: it ends with '?' or opens (a clause) with "Find", "Compute"... */
export function isQuestionSentence(sentence: string): boolean {
  const trimmed = sentence.trim();
  if (/\?["'”’)\]»]*$/.test(trimmed)) return true;
  // Leading list markers ("$\bullet$", "*", "1.") are not the sentence's first word.
  const withoutMarker = trimmed.replace(/^(?:\$\\bullet\$|[*•-]|\d+[.)])\s*/, '');
  return imperativeOpener.test(withoutMarker);
}

function nonEmptySegments(text: string): TextSegment[] {
  const segments = segmentSentences(text);
  if (segments.length === 0) {
    throw userError('empty_text', 'Cannot split an empty text into a context and a query.');
  }
  return segments;
}

/** The query is the segment; the context is the rest of the text, in order, trimmed. */
function cutOut(text: string, query: TextSegment): StatefulSplit {
  const before = text.slice(0, query.start).trim();
  const afterRaw = text.slice(query.end);
  const after = afterRaw.trim();
  let context = before;
  if (before !== '' && after !== '') {
    // Keep a paragraph break if the query was followed by one (a figure on its own lines).
    const gap = afterRaw.slice(0, afterRaw.length - afterRaw.trimStart().length);
    context = `${before}${gap.includes('\n') ? gap.replace(/^[ \t]+/, '') : ' '}${after}`;
  } else if (after !== '') {
    context = after;
  }
  return { context, query: query.text };
}

function kindOf(text: string, start: number, end: number, spans: ProtectedSpan[]): SegmentKind {
  let prose = '';
  let hasFigure = false;
  let position = start;
  for (const span of spans) {
    if (span.end <= start || span.start >= end) continue;
    prose += text.slice(position, Math.max(position, span.start));
    position = Math.max(position, span.end);
    if (span.isFigure) hasFigure = true;
  }
  prose += text.slice(position, end);
  if (/[\p{L}\p{N}]/u.test(prose)) return 'sentence';
  return hasFigure ? 'figure' : 'display';
}

function isWhitespace(character: string | undefined): boolean {
  return character !== undefined && /\s/.test(character);
}

/**
 * One pass over the text: protected spans (LaTeX, figures) are skipped whole; each terminator
 * outside them is tested as a sentence end. Returns the cut offsets and the protected spans.
 */
function scan(text: string): { cuts: number[]; spans: ProtectedSpan[] } {
  const cuts: number[] = [];
  const spans: ProtectedSpan[] = [];
  let position = 0;

  while (position < text.length) {
    const character = text[position] as string;

    const span = protectedSpanAt(text, position);
    if (span !== undefined) {
      spans.push(span);
      if (span.isFigure && startsLine(text, span.start)) {
        // A figure on its own lines is a segment of its own.
        cuts.push(span.start);
        const afterFigure = sentenceEndAfter(text, span.end, true);
        if (afterFigure !== undefined) cuts.push(afterFigure);
      } else if (!span.isFigure && protectedContentEndsSentence(text, span)) {
        const cut = sentenceEndAfter(text, span.end, false);
        if (cut !== undefined) cuts.push(cut);
      }
      position = span.end;
      continue;
    }

    if (character === '\\') {
      // `\\` (a LaTeX line break) and `\$` (a literal dollar) are single tokens.
      position += text[position + 1] === '\\' || text[position + 1] === '$' ? 2 : 1;
      continue;
    }

    if (character === '…') {
      position += 1;
      continue;
    }

    if (character === '.') {
      let runEnd = position;
      while (text[runEnd] === '.') runEnd += 1;
      if (runEnd - position >= 2) {
        position = runEnd; // an ellipsis
        continue;
      }
      if (!isAbbreviationOrListMarker(text, position)) {
        const cut = sentenceEndAfter(text, position + 1, false);
        if (cut !== undefined) cuts.push(cut);
      }
      position += 1;
      continue;
    }

    if (character === '?' || character === '!') {
      let runEnd = position;
      while (text[runEnd] === '?' || text[runEnd] === '!') runEnd += 1; // "?!" is one end
      const cut = sentenceEndAfter(text, runEnd, false);
      if (cut !== undefined) cuts.push(cut);
      position = runEnd;
      continue;
    }

    position += 1;
  }
  return { cuts, spans };
}

/**
 * Given the offset just past a terminator (or a figure), the offset where the sentence ends: past
 * any closing quotes or brackets, if whitespace or the end follows and the next word does not start
 * in lowercase. Undefined when this is not a sentence end.
 */
function sentenceEndAfter(text: string, offset: number, afterFigure: boolean): number | undefined {
  let end = offset;
  if (!afterFigure) while (end < text.length && closingCharacters.has(text[end] as string)) end += 1;
  if (end >= text.length) return end;
  if (!isWhitespace(text[end])) return undefined;
  let next = end;
  while (next < text.length && isWhitespace(text[next])) next += 1;
  if (next >= text.length) return end;
  if (/\p{Ll}/u.test(text[next] as string)) return undefined;
  return end;
}

function isAbbreviationOrListMarker(text: string, periodOffset: number): boolean {
  // The word right before the period, internal periods included ("e.g", "U.S", "p.m").
  let wordStart = periodOffset;
  while (wordStart > 0 && /[\p{L}.]/u.test(text[wordStart - 1] as string)) wordStart -= 1;
  const word = text.slice(wordStart, periodOffset).replace(/^\.+/, '').toLowerCase();
  if (nonTerminalAbbreviations.has(word)) return true;
  if (referenceAbbreviations.has(word) && /^\s*\(?\d/.test(text.slice(periodOffset + 1, periodOffset + 8))) return true;

  // "1." / "b." / "iv." opening a line is a list marker, not a sentence end.
  const lineStart = text.lastIndexOf('\n', periodOffset - 1) + 1;
  const lineHead = text.slice(lineStart, periodOffset);
  return /^\s*(?:\d{1,3}|[a-zA-Z]|[ivxlcdm]{1,6}|[IVXLCDM]{1,6})$/.test(lineHead);
}

function startsLine(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return text.slice(lineStart, offset).trim() === '';
}

/** The content of a non-figure span ends with a terminator: `$x.$`, `$$... = 10.$$`. */
function protectedContentEndsSentence(text: string, span: ProtectedSpan): boolean {
  const raw = text.slice(span.start, span.end);
  const content = raw
    .replace(/^(?:\$\$|\$|\\\(|\\\[|\\begin\{[^}]*\})/, '')
    .replace(/(?:\$\$|\$|\\\)|\\\]|\\end\{[^}]*\})$/, '')
    .trimEnd();
  return /[.?!]$/.test(content) && !/\.\.$|\\[lc]?dots\.?$/.test(content);
}

/** A protected span starting at `offset`, or undefined. */
function protectedSpanAt(text: string, offset: number): ProtectedSpan | undefined {
  const character = text[offset];
  if (character === '<' && text.slice(offset, offset + 5).toLowerCase() === '<asy>') {
    const close = text.toLowerCase().indexOf('</asy>', offset + 5);
    return close === -1 ? undefined : { start: offset, end: close + 6, isFigure: true };
  }
  if (character === '$') {
    if (text[offset + 1] === '$') {
      const close = findUnescaped(text, '$$', offset + 2);
      return close === -1 ? undefined : { start: offset, end: close + 2, isFigure: false };
    }
    return inlineMathAt(text, offset);
  }
  if (character !== '\\') return undefined;
  const next = text[offset + 1];
  if (next === '(' || next === '[') {
    const closer = next === '(' ? '\\)' : '\\]';
    const close = text.indexOf(closer, offset + 2);
    return close === -1 ? undefined : { start: offset, end: close + 2, isFigure: false };
  }
  const begin = /^\\begin\{([^}]+)\}/.exec(text.slice(offset, offset + 80));
  if (begin !== null) {
    const name = begin[1] as string;
    const end = matchingEnd(text, name, offset + begin[0].length);
    return end === undefined ? undefined : { start: offset, end, isFigure: figureEnvironments.has(name) };
  }
  const graphics = /^\\includegraphics\s*(?:\[[^\]]*\])?\s*\{[^}]*\}/.exec(text.slice(offset, offset + 500));
  if (graphics !== null) return { start: offset, end: offset + graphics[0].length, isFigure: true };
  return undefined;
}

/**
 * `$...$` by pandoc's rule: the opening `$` has a non-space on its right, the next unescaped `$`
 * closes it only if it has a non-space on its left and no digit on its right, and no blank line
 * lies between. So `$4$` and `$\triangle$$ABC$` are math; `$5 and $7` and `$5-$10` are money.
 */
function inlineMathAt(text: string, offset: number): ProtectedSpan | undefined {
  const first = text[offset + 1];
  if (first === undefined || isWhitespace(first)) return undefined;
  const close = findUnescaped(text, '$', offset + 1);
  if (close === -1) return undefined;
  if (isWhitespace(text[close - 1]) || /\d/.test(text[close + 1] ?? '')) return undefined;
  if (/\n[ \t]*\n/.test(text.slice(offset, close))) return undefined;
  return { start: offset, end: close + 1, isFigure: false };
}

function findUnescaped(text: string, needle: string, from: number): number {
  for (let index = text.indexOf(needle, from); index !== -1; index = text.indexOf(needle, index + 1)) {
    let backslashes = 0;
    for (let before = index - 1; before >= 0 && text[before] === '\\'; before -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return index;
  }
  return -1;
}

/** The offset just past the `\end{name}` matching a `\begin{name}` (same-name nesting counted). */
function matchingEnd(text: string, name: string, from: number): number | undefined {
  const beginToken = `\\begin{${name}}`;
  const endToken = `\\end{${name}}`;
  let depth = 1;
  let position = from;
  while (depth > 0) {
    const nextBegin = text.indexOf(beginToken, position);
    const nextEnd = text.indexOf(endToken, position);
    if (nextEnd === -1) return undefined;
    if (nextBegin !== -1 && nextBegin < nextEnd) {
      depth += 1;
      position = nextBegin + beginToken.length;
    } else {
      depth -= 1;
      position = nextEnd + endToken.length;
    }
  }
  return position;
}
