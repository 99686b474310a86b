/**
 * Puts the sampled values into a template's text. How values print:
 * - ints as digits (`400000`, no thousands separator, as the templates' defaults);
 * - floats without a trailing `.0` (`7.0` prints `7`), otherwise their exact decimals (`2.25`);
 *   right after a currency symbol, two decimals (`$0.30`, `$7.50`), as prices are written;
 * - a vocabulary word as its label (`twice`, `a third`, `1/4`, `six-sided`); a Fraction as `n/d`;
 * - a word that starts a sentence is capitalized ("Half of the balls", "Hay is ..."), which also
 *   keeps the stateful splitter cutting there (it does not cut before a lowercase word);
 * - a default written with a possessive (`{name2, Angela's}`) keeps its `'s` on the new value;
 * - runs of spaces collapse to one (a few templates have typos such as "his  room").
 */
import type { GsmSymbolicTemplate } from './template-parser.js';
import { LabeledValue, PyRational, exactDecimal, pythonString, type PyValue } from './python-values.js';

const currencySymbols = /[$€£¥₹₣₤₩]$/;
const sentenceEnd = /(?:^|[.!?]["'”’)]*)$/;

export function renderQuestion(template: GsmSymbolicTemplate, variables: ReadonlyMap<string, PyValue>): string {
  let output = '';
  let position = 0;
  for (const placeholder of template.placeholders) {
    output += template.text.slice(position, placeholder.start);
    position = placeholder.end;
    const value = variables.get(placeholder.variable);
    if (value === undefined) throw new Error(`internal: ${placeholder.variable} is not bound`);
    let shown = displayValue(value, currencySymbols.test(output));
    if (/['’]s$/.test(placeholder.defaultText) && !/['’]s$/.test(shown)) shown += "'s";
    const before = output.trimEnd();
    const startsSentence = before === '' || (before !== output && sentenceEnd.test(before));
    if (startsSentence) shown = shown.charAt(0).toUpperCase() + shown.slice(1);
    output += shown;
  }
  // Some templates carry doubled spaces ("his  room"); they are typos, not layout.
  return (output + template.text.slice(position)).replace(/[ \t]{2,}/g, ' ');
}

/** How one value prints in a question (see the file header). */
export function displayValue(value: PyValue, afterCurrencySymbol: boolean): string {
  if (value instanceof LabeledValue) return displayValue(value.label, afterCurrencySymbol);
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value instanceof PyRational) {
    if (value.isFraction) return value.denominator === 1 ? String(value.numerator) : `${value.numerator}/${value.denominator}`;
    if (value.denominator === 1) return String(value.numerator);
    const decimal = exactDecimal(value.numerator, value.denominator);
    if (decimal === undefined) return String(Number((value.numerator / value.denominator).toPrecision(6)));
    const places = decimal.split('.')[1]?.length ?? 0;
    return afterCurrencySymbol && places < 2 ? `${decimal}${'0'.repeat(2 - places)}` : decimal;
  }
  return pythonString(value);
}
