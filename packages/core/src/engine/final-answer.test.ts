import { describe, expect, it } from 'vitest';
import { extractFinalAnswer, lastBoxedContent, normalizeNumber } from './final-answer.js';

describe('extractFinalAnswer', () => {
  it.each([
    // \boxed{} wins, the last one, nested braces allowed
    ['So the result is \\boxed{42}.', '42'],
    ['First \\boxed{1}, then on reflection \\boxed{2}. The answer is 7', '2'],
    ['\\boxed{\\frac{1}{2}}', '\\frac{1}{2}'],
    ['\\boxed{ 1,234 }', '1234'],
    ['\\boxed{$5.}', '5'],
    ['\\boxed {17}', '17'],
    ['\\boxed{x^{2}+1} and a truncated \\boxed{12', 'x^{2}+1'],
    ['empty box \\boxed{} then the answer is 9', '9'],
    // the number after the last "answer is"
    ['The answer is 31.', '31'],
    ['The answer is $1,234.50.', '1234.50'],
    ['the ANSWER IS: **-7**', '-7'],
    ['I first thought the answer is 5, but the answer is 6 after all. Check: 6 = 2 * 3', '6'],
    ['The answer is 3/4 of the cake', '3/4'],
    ['The answer is 25% higher, so 40', '25'],
    ['The answer is\n12', '12'],
    ['The answer is unclear.\nShe has 8 left, so 8 it is', '8'],
    // else the last number in the text
    ['She had 12, gave away 5, keeps 7.', '7'],
    ['Total: $2,500', '2500'],
    ['Result 3.14.', '3.14'],
    ['Temperatures dropped to -4 overnight', '-4'],
    ['Pages 10-12 cover it', '12'],
    ['version 1.2.3 shipped', '1.2'],
    ['No digits here at all', null],
    ['', null],
    ['x2 and y3 are names, not numbers', null],
  ])('%j -> %j', (text, expected) => {
    expect(extractFinalAnswer(text)).toBe(expected);
  });
});

describe('normalizeNumber', () => {
  it.each([
    ['$1,000', '1000'],
    ['12.', '12'],
    [' -3.50 ', '-3.50'],
    ['-$5', '-5'],
  ])('%j -> %j', (raw, expected) => {
    expect(normalizeNumber(raw)).toBe(expected);
  });
});

describe('lastBoxedContent', () => {
  it('returns undefined when there is no balanced box', () => {
    expect(lastBoxedContent('\\boxed{unclosed')).toBeUndefined();
    expect(lastBoxedContent('no box')).toBeUndefined();
  });
  it('handles deep nesting', () => {
    expect(lastBoxedContent('\\boxed{a{b{c}}d}')).toBe('a{b{c}}d');
  });

  it('takes only an announced answer from a reply cut short, never the last number where the cut fell', () => {
    expect(extractFinalAnswer('3 boxes of 12 is', { announcedOnly: true })).toBeNull();
    expect(extractFinalAnswer('The answer is 31. Then 3 boxes of 12', { announcedOnly: true })).toBe('31');
    expect(extractFinalAnswer('so \\boxed{31} and 12', { announcedOnly: true })).toBe('31');
  });
});
