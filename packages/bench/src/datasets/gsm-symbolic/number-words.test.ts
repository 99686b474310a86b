import { describe, expect, it } from 'vitest';
import { fractionWordsToRatio, multiplierWordsToNumber, numberToWords, wordsToNumber } from './number-words.js';

describe('number words', () => {
  it('writes numbers as English words', () => {
    expect([0, 7, 13, 20, 42, 99, 105, 340, 2001].map(numberToWords)).toEqual([
      'zero', 'seven', 'thirteen', 'twenty', 'forty-two', 'ninety-nine', 'one hundred five', 'three hundred forty',
      'two thousand one',
    ]);
    expect(() => numberToWords(-1)).toThrow(RangeError);
  });

  it('reads number, fraction and multiplier words', () => {
    expect(wordsToNumber('Forty-two')).toBe(42);
    expect(wordsToNumber('forty two')).toBe(42);
    expect(wordsToNumber('one hundred')).toBe(100);
    expect(wordsToNumber('lots')).toBeUndefined();
    expect(fractionWordsToRatio('half')).toEqual([1, 2]);
    expect(fractionWordsToRatio('a third')).toEqual([1, 3]);
    expect(fractionWordsToRatio('three quarters')).toEqual([3, 4]);
    expect(fractionWordsToRatio('two-thirds')).toEqual([2, 3]);
    expect(fractionWordsToRatio('one-fifth')).toEqual([1, 5]);
    expect(fractionWordsToRatio('twice')).toBeUndefined();
    expect(multiplierWordsToNumber('twice')).toBe(2);
    expect(multiplierWordsToNumber('thrice')).toBe(3);
    expect(multiplierWordsToNumber('four times')).toBe(4);
    expect(multiplierWordsToNumber('triple')).toBe(3);
    expect(multiplierWordsToNumber('often')).toBeUndefined();
  });
});
