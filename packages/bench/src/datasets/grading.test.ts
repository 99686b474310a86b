import { readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SleeptimeError } from '@sleeptime/core';
import { fixtureTemplates, writeDatasetFixtures } from './dataset-fixtures-test-support.js';
import { describeWithDatasets } from './datasets-test-support.js';
import {
  extractAimeAnswer,
  extractGsmAnswer,
  extractGsmAnswerFromReference,
  gradeAime,
  gradeGsm,
} from './grading.js';

function errorCodeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return SleeptimeError.isInstance(error) ? error.code : 'not a SleeptimeError';
  }
  return undefined;
}

describe('extractGsmAnswer', () => {
  it.each([
    ['The answer is 42.', 42],
    ['She pays $1,234.50.', 1234.5],
    ['Total: $2,500', 2500],
    ['So 3 + 4 = 7, and 7 * 2 = 14', 14],
    ['It drops to -4 overnight', -4],
    ['It costs -$5 net', -5],
    ['Pages 10-12 are left', 12],
    ['A 25% rise', 25],
    ['Counting 1,2,3', 3],
    ['He ran 2.5 km.', 2.5],
    ['#### 18', 18],
    ['Answer: 0.75. Done.', 0.75],
    ['x2 and y3 are names, not numbers', undefined],
    ['No digits at all.', undefined],
    ['', undefined],
  ])('%j -> %j', (text, expected) => {
    expect(extractGsmAnswer(text)).toBe(expected);
  });
});

describe('extractGsmAnswerFromReference', () => {
  it.each([
    ['She has 3 + 4 = <<3+4=7>>7 apples.\n#### 7', 7],
    ['Cost is 1,000 + 234 = 1,234\n#### 1,234', 1234],
    ['#### $51.84', 51.84],
    ['Steps #### 3 then a fix\n#### 5', 5],
    ['#### -12', -12],
    ['No marker, 5 apples', undefined],
    ['#### none', undefined],
  ])('%j -> %j', (text, expected) => {
    expect(extractGsmAnswerFromReference(text)).toBe(expected);
  });
});

/** Every template file's reference answer (`#### N`), read and graded; returns how many. */
function checkReferenceAnswers(datasetsDir: string): number {
  const templatesDir = join(datasetsDir, 'gsm-symbolic', 'templates');
  let count = 0;
  for (const variant of ['p1', 'p2', 'symbolic']) {
    for (const file of readdirSync(join(templatesDir, variant))) {
      const { answer } = JSON.parse(readFileSync(join(templatesDir, variant, file), 'utf8')) as { answer: string };
      const value = extractGsmAnswerFromReference(answer);
      const stated = answer.slice(answer.lastIndexOf('####') + 4).trim();
      expect(value, `${variant}/${file}`).toBe(Number(stated));
      expect(gradeGsm(`So the answer is ${stated}.`, answer), `${variant}/${file}`).toBe(true);
      count += 1;
    }
  }
  return count;
}

describeWithDatasets('extractGsmAnswerFromReference on the 250 GSM-Symbolic templates', (datasetsDir) => {
  it('reads the reference answer of all 250 templates, and gradeGsm accepts it', () => {
    expect(checkReferenceAnswers(datasetsDir)).toBe(250);
  });
});

describe('extractGsmAnswerFromReference on the fixture templates', () => {
  let datasetsDir: string;
  beforeAll(async () => {
    datasetsDir = await writeDatasetFixtures();
  });
  afterAll(async () => {
    await rm(datasetsDir, { recursive: true, force: true });
  });

  it('reads the reference answer of every template file, and gradeGsm accepts it', () => {
    expect(checkReferenceAnswers(datasetsDir)).toBe(Object.keys(fixtureTemplates).length);
  });
});

describe('gradeGsm', () => {
  it.each([
    ['The answer is 18.', 18, true],
    ['The answer is 18.', 19, false],
    ['The answer is $1,234.', 1234, true],
    ['That makes 51.84 dollars', 51.84, true],
    ['That makes 51.84 dollars', 5.76 * 9, true], // 51.839999999999996 in floating point
    ['That makes 0.3 liters', 0.1 + 0.2, true], // 0.30000000000000004
    ['That makes 51.8 dollars', 51.84, false],
    ['That makes 18.00', 18, true],
    ['First 18, then I recheck: 20', 18, false], // the last number counts
    ['I get 18 in total', '#### 18', true],
    ['I get 18 in total', 'Work: 9 + 9 = 18\n#### 18', true],
    ['I get 17 in total', '#### 18', false],
    ['I get 1234 in total', '$1,234', true],
    ['I get 1234 in total', '1,234.', true],
    ['No number here', 3, false],
  ])('%j vs %j -> %s', (answer, expected, correct) => {
    expect(gradeGsm(answer, expected)).toBe(correct);
  });

  it('compares floats with a tolerance, not exactly', () => {
    expect(5.76 * 9).not.toBe(51.84); // the premise of the case above
    expect(gradeGsm('It is 51.84', 51.84 + 1e-3)).toBe(false);
  });

  it('rejects an expected answer that is not a number', () => {
    expect(errorCodeOf(() => gradeGsm('18', 'eighteen'))).toBe('invalid_expected_answer');
    expect(errorCodeOf(() => gradeGsm('18', ''))).toBe('invalid_expected_answer');
    expect(errorCodeOf(() => gradeGsm('18', Number.NaN))).toBe('invalid_expected_answer');
    expect(errorCodeOf(() => gradeGsm('18', '#### none'))).toBe('invalid_expected_answer');
  });
});

describe('extractAimeAnswer', () => {
  it.each([
    ['So the answer is \\boxed{204}.', 204],
    ['\\boxed{025}', 25],
    ['First \\boxed{12}, on reflection \\boxed{13}.', 13],
    ['\\boxed{ 73 }', 73],
    ['\\boxed{$699$}', 699],
    ['\\boxed{\\text{809}}', 809],
    ['\\boxed{336^\\circ}', 336],
    ['\\boxed{336^{\\circ}}', 336],
    ['\\boxed{m+n=116}', 116],
    ['\\boxed{104.}', 104],
    ['\\boxed{1,000}', 1000],
    ['\\boxed{\\frac{3}{4}} and 7 elsewhere', undefined], // a committed non-integer answer
    ['\\boxed{45} then a truncated \\boxed{4', 45],
    ['The answer is 204.', 204],
    ['Years 2024 and 2025 give 17 in the end', 17],
    ['pi is 3.14 and 2024 is a year', undefined],
    ['Divide 1,000 by 8', 8],
    ['no digits', undefined],
  ])('%j -> %j', (text, expected) => {
    expect(extractAimeAnswer(text)).toBe(expected);
  });
});

describe('gradeAime', () => {
  it.each([
    ['\\boxed{025}', 25, true],
    ['\\boxed{025}', 250, false],
    ['The answer is 33.', 33, true],
    ['We need 2024 terms, so the answer is 104', 104, true],
    ['\\boxed{104} although 204 looked plausible', 104, true],
    ['\\boxed{104} although 204 looked plausible', 204, false],
    ['\\boxed{x}', 0, false],
    ['', 0, false],
  ])('%j vs %j -> %s', (answer, expected, correct) => {
    expect(gradeAime(answer, expected)).toBe(correct);
  });

  it('rejects a non-integer expected answer', () => {
    expect(errorCodeOf(() => gradeAime('\\boxed{1}', 1.5))).toBe('invalid_expected_answer');
  });
});
