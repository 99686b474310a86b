/**
 * English number words, both ways: `numbers_within` shows its numbers as words ("forty-two"), and
 * the default-value check reads the templates' defaults ("three", "forty-two", "twice", "a third").
 */

const units = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen',
];
const tens = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** 0..999 999 as words: 42 is "forty-two", 105 is "one hundred five". */
export function numberToWords(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 999_999) {
    throw new RangeError(`no words for ${value}`);
  }
  if (value < 20) return units[value] as string;
  if (value < 100) {
    const rest = value % 10;
    return `${tens[Math.floor(value / 10)]}${rest === 0 ? '' : `-${units[rest]}`}`;
  }
  if (value < 1000) {
    const rest = value % 100;
    return `${units[Math.floor(value / 100)]} hundred${rest === 0 ? '' : ` ${numberToWords(rest)}`}`;
  }
  const rest = value % 1000;
  return `${numberToWords(Math.floor(value / 1000))} thousand${rest === 0 ? '' : ` ${numberToWords(rest)}`}`;
}

let wordTable: Map<string, number> | undefined;

/** The number a word names ("seven", "forty-two", "forty two"), or undefined. */
export function wordsToNumber(text: string): number | undefined {
  if (wordTable === undefined) {
    wordTable = new Map();
    for (let value = 0; value <= 1000; value += 1) wordTable.set(normalizeWords(numberToWords(value)), value);
  }
  return wordTable.get(normalizeWords(text));
}

// "Forty-two", "forty two" and "forty  two" are the same number.
function normalizeWords(text: string): string {
  return text.trim().toLowerCase().replace(/[\s-]+/g, ' ');
}

const ordinalDenominators: Record<string, number> = {
  half: 2, halves: 2, third: 3, thirds: 3, quarter: 4, quarters: 4, fourth: 4, fourths: 4,
  fifth: 5, fifths: 5, sixth: 6, sixths: 6, seventh: 7, sevenths: 7, eighth: 8, eighths: 8,
  ninth: 9, ninths: 9, tenth: 10, tenths: 10, twelfth: 12, twelfths: 12, sixteenth: 16, sixteenths: 16,
};

/**
 * A fraction in words as `[numerator, denominator]`: "half", "a third", "one-fifth",
 * "three quarters", "two-thirds". Undefined when the text is not one.
 */
export function fractionWordsToRatio(text: string): [number, number] | undefined {
  const words = text.trim().toLowerCase().replace(/-/g, ' ').split(/\s+/);
  if (words.length === 0 || words.length > 2) return undefined;
  const last = words[words.length - 1] as string;
  const denominator = ordinalDenominators[last];
  if (denominator === undefined) return undefined;
  if (words.length === 1) return [1, denominator];
  const first = words[0] as string;
  const numerator = first === 'a' || first === 'an' ? 1 : wordsToNumber(first);
  return numerator === undefined ? undefined : [numerator, denominator];
}

const multiplierWords: Record<string, number> = {
  once: 1, twice: 2, thrice: 3, double: 2, triple: 3, quadruple: 4, quintuple: 5,
};

/** "twice" is 2, "three times" is 3, "triple" is 3; undefined otherwise. */
export function multiplierWordsToNumber(text: string): number | undefined {
  const normalized = text.trim().toLowerCase();
  const direct = multiplierWords[normalized];
  if (direct !== undefined) return direct;
  const times = /^(.+?)\s+times$/.exec(normalized);
  return times === null ? undefined : wordsToNumber(times[1] as string);
}
