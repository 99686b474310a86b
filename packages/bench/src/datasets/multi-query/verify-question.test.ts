import { describe, expect, it } from 'vitest';
import { normalizeQuestionText, unstatedVariables, verifyQuestion, type VerificationInstance } from './verify-question.js';

// "ans" is a hidden variable: the template's unknown, never shown in the text.
const instance: VerificationInstance = {
  context: 'Maria has 12 apples. She buys 3 bags with 5 oranges in each bag. Half of the apples are red. A pear costs $0.30.',
  query: 'How many pieces of fruit does Maria have now?',
  bindings: { name: 'Maria', a: 12, b: 3, c: 5, frac: 0.5, price: 0.3, ans: 40, prices: [1, 2] },
  labels: { frac: 'half' },
};

function seenWithOriginal(): Set<string> {
  return new Set([normalizeQuestionText(instance.query)]);
}

function verify(question: string, solution: string, expression: string, seen = seenWithOriginal()) {
  return verifyQuestion({ question, solution, expression }, instance, seen);
}

describe('verifyQuestion', () => {
  it('keeps a question whose expression agrees with its worked answer, with the answer from the expression', () => {
    const verdict = verify('How many oranges does she buy?', '3 x 5 = 15\n#### 15.0000001', 'b * c');
    expect(verdict).toEqual({
      kept: true,
      question: 'How many oranges does she buy?',
      solution: '3 x 5 = 15\n#### 15.0000001',
      expression: 'b * c',
      modelAnswer: 15.0000001,
      answer: 15,
    });
  });

  it('evaluates with Python semantics and exact floats', () => {
    expect(verify('How many red apples are there?', '#### 6', 'int(a * frac)')).toMatchObject({ kept: true, answer: 6 });
    // 0.1 + 0.2 is exactly 0.3 here, and 7 // 2 floors.
    expect(verify('What do a pear and half of a pear cost?', '#### 0.45', 'price + price * frac')).toMatchObject({
      kept: true,
      answer: 0.45,
    });
    expect(verify('How many full pairs of bags?', '#### 1', 'b // 2')).toMatchObject({ kept: true, answer: 1 });
  });

  it('rejects an answer that disagrees with the expression, beyond the tolerance', () => {
    expect(verify('How many fruits with one more bag?', '#### 30', 'a + (b + 1) * c')).toMatchObject({
      kept: false,
      reason: 'answers_disagree',
      modelAnswer: 30,
      evaluatedAnswer: 32,
    });
    // A rounded answer to a repeating decimal is not the same number.
    expect(verify('What is the number of oranges in a bag divided by the number of bags?', '#### 1.67', 'c / b')).toMatchObject({
      kept: false,
      reason: 'answers_disagree',
    });
  });

  it('rejects expressions that do not parse, read unknown names, reach other globals or raise', () => {
    const cases: [string, RegExp][] = [
      ['a * cost', /unknown name 'cost'/],
      ['a +* b', /does not parse/],
      ['sample([1, 2])', /unknown name 'sample'/],
      ['len(names_male)', /unknown name 'names_male'/],
      ['np.arange(1, 3)[0]', /unknown name 'np'/],
      ['a / (b - 3)', /ZeroDivisionError/],
      ['a'.repeat(401), /longer than 400/],
    ];
    for (const [expression, detail] of cases) {
      const verdict = verify('How many apples does she have left?', '#### 1', expression);
      expect(verdict, expression).toMatchObject({ kept: false, reason: 'expression_error' });
      expect(verdict.kept ? '' : verdict.detail, expression).toMatch(detail);
    }
  });

  it('rejects expressions whose value is not a finite number', () => {
    for (const expression of ['a > b', '[a, b]', 'name', 'prices']) {
      expect(verify('Which is more?', '#### 1', expression), expression).toMatchObject({ kept: false, reason: 'not_finite' });
    }
  });

  it('rejects a solution without a "#### N" line, or an empty field, as malformed', () => {
    expect(verify('How many oranges?', 'She buys 15 oranges.', 'b * c')).toMatchObject({ kept: false, reason: 'malformed' });
    expect(verify('How many oranges?', '#### fifteen', 'b * c')).toMatchObject({ kept: false, reason: 'malformed' });
    expect(verify('  ', '#### 15', 'b * c')).toMatchObject({ kept: false, reason: 'malformed' });
    expect(verify('How many oranges?', '#### 15', ' ')).toMatchObject({ kept: false, reason: 'malformed' });
  });

  it('rejects copies of the original or of a kept question, ignoring case, spacing and punctuation', () => {
    expect(verify('how many pieces of FRUIT does Maria have now', '#### 27', 'a + b * c')).toMatchObject({
      kept: false,
      reason: 'duplicate',
    });
    const seen = seenWithOriginal();
    seen.add(normalizeQuestionText('How many oranges does she buy?'));
    expect(verify('How  many oranges does she buy ?', '#### 15', 'b * c', seen)).toMatchObject({
      kept: false,
      reason: 'duplicate',
    });
    expect(verify('How many oranges does she buy in total?', '#### 15', 'b * c', seen)).toMatchObject({ kept: true });
  });

  it('rejects a hidden variable unless the new question states its value', () => {
    expect(verify('How many fruits would make 40 with the apples?', '#### 28', 'ans - a')).toMatchObject({ kept: true });
    expect(verify('How many more fruits does she need to reach her goal?', '#### 28', 'ans - a')).toMatchObject({
      kept: false,
      reason: 'unstated_variable',
      evaluatedAnswer: 28,
    });
  });
});

describe('unstatedVariables', () => {
  it('finds values written as digits, money, words (labels) and strings, and reports the rest', () => {
    expect(unstatedVariables(['a', 'b', 'c', 'frac', 'price', 'name', 'prices'], instance, '')).toEqual([]);
    expect(unstatedVariables(['ans', 'a'], instance, '')).toEqual(['ans']);
    expect(unstatedVariables(['ans'], instance, 'Her goal is 40 fruits.')).toEqual([]);
    const fractions: VerificationInstance = { ...instance, context: 'It rained 3/4 of the days.', bindings: { f: 0.75, g: 1200 }, labels: {} };
    expect(unstatedVariables(['f', 'g'], fractions, 'They sold 1,200 tickets.')).toEqual([]);
    expect(unstatedVariables(['f', 'g'], fractions, 'They sold 120 tickets.')).toEqual(['g']);
  });
});

describe('normalizeQuestionText', () => {
  it('drops case and punctuation but keeps decimals', () => {
    expect(normalizeQuestionText('  What is 2.5 times $3?  ')).toBe('what is 2.5 times 3');
    expect(normalizeQuestionText('What is 25 times 3?')).not.toBe(normalizeQuestionText('What is 2.5 times 3?'));
  });
});
