import { describe, expect, it } from 'vitest';
import { evaluatePython } from './evaluate-python.js';
import { ExpressionSyntaxError } from './expression-tokenizer.js';
import { PythonError, pythonRepr } from './python-values.js';

/** Python's repr of the value, e.g. `3.5`, `2.0`, `[2, 3]`, `'ell'`, `1/3`. */
function repr(source: string, bindings: Record<string, number | string> = {}, labels: Record<string, string> = {}): string {
  return pythonRepr(evaluatePython(source, bindings, labels).value);
}

function pythonErrorKind(source: string): string | undefined {
  try {
    evaluatePython(source);
  } catch (error) {
    if (error instanceof PythonError) return error.kind;
    throw error;
  }
  return undefined;
}

describe('Python semantics of the template evaluator', () => {
  it('divides ints into floats with /, and keeps ints with //', () => {
    expect(repr('7 / 2')).toBe('3.5');
    expect(repr('6 / 3')).toBe('2.0');
    expect(repr('7 // 2')).toBe('3');
    expect(repr('7.0 // 2')).toBe('3.0');
    expect(repr('1.0 * 4')).toBe('4.0');
  });

  it('floors toward negative infinity, as Python does', () => {
    expect(repr('-7 // 2')).toBe('-4');
    expect(repr('7 // -2')).toBe('-4');
    expect(repr('-7 // -2')).toBe('3');
    expect(repr('-7.5 // 2')).toBe('-4.0');
    expect(repr('-6 // 3')).toBe('-2');
  });

  it('takes the sign of the divisor in %', () => {
    expect(repr('-7 % 3')).toBe('2');
    expect(repr('7 % -3')).toBe('-2');
    expect(repr('-7 % -3')).toBe('-1');
    expect(repr('7 % 3')).toBe('1');
    expect(repr('5.5 % 2')).toBe('1.5');
    expect(repr('-0.5 % 2')).toBe('1.5');
  });

  it('raises powers with ** (right-associative, tighter than unary minus)', () => {
    expect(repr('2 ** 10')).toBe('1024');
    expect(repr('2 ** -1')).toBe('0.5');
    expect(repr('-2 ** 2')).toBe('-4');
    expect(repr('(-2) ** 3')).toBe('-8');
    expect(repr('2 ** 3 ** 2')).toBe('512');
    expect(repr('1.5 ** 2')).toBe('2.25');
  });

  it("rounds half to even (banker's rounding)", () => {
    expect(repr('round(0.5)')).toBe('0');
    expect(repr('round(1.5)')).toBe('2');
    expect(repr('round(2.5)')).toBe('2');
    expect(repr('round(3.5)')).toBe('4');
    expect(repr('round(-0.5)')).toBe('0');
    expect(repr('round(-1.5)')).toBe('-2');
    expect(repr('round(2.51)')).toBe('3');
    expect(repr('round(0.125, 2)')).toBe('0.12');
    expect(repr('round(0.375, 2)')).toBe('0.38');
  });

  it('truncates toward zero with int()', () => {
    expect(repr('int(2.7)')).toBe('2');
    expect(repr('int(-2.7)')).toBe('-2');
    expect(repr("int('12')")).toBe('12');
    expect(repr('int(7 / 2)')).toBe('3');
  });

  it('chains comparisons, evaluating each operand once and stopping early', () => {
    expect(repr('1 < 2 < 3')).toBe('True');
    expect(repr('1 < 3 < 2')).toBe('False');
    expect(repr('3 > 2 == 2')).toBe('True');
    expect(repr('0 <= 5 < 5')).toBe('False');
    // `1 > 2` is false, so `(1 / 0)` is never evaluated.
    expect(repr('1 > 2 < (1 / 0)')).toBe('False');
  });

  it('returns operands from and/or, and negates with not', () => {
    expect(repr('0 or 5')).toBe('5');
    expect(repr('3 and 0')).toBe('0');
    expect(repr('2 and 3')).toBe('3');
    expect(repr('not 0')).toBe('True');
    expect(repr('not 1 == 1')).toBe('False');
    expect(repr('is_int(4.5) == False')).toBe('True');
  });

  it('tests membership with in and not in', () => {
    expect(repr('3 in [1, 2, 3]')).toBe('True');
    expect(repr("'at' in 'cat'")).toBe('True');
    expect(repr('5 in range(0, 10, 5)')).toBe('True');
    expect(repr('4 in range(0, 10, 5)')).toBe('False');
    expect(repr('4 not in (1, 2)')).toBe('True');
  });

  it('indexes and slices lists, tuples, strings and ranges', () => {
    expect(repr('[1, 2, 3, 4, 5][1:3]')).toBe('[2, 3]');
    expect(repr('[1, 2, 3, 4, 5][:4]')).toBe('[1, 2, 3, 4]');
    expect(repr('[1, 2, 3, 4, 5][-2:]')).toBe('[4, 5]');
    expect(repr('[1, 2, 3, 4, 5][::-1]')).toBe('[5, 4, 3, 2, 1]');
    expect(repr('[1, 2, 3, 4, 5][::2]')).toBe('[1, 3, 5]');
    expect(repr("'hello'[1:4]")).toBe("'ell'");
    expect(repr('(1, 2, 3)[1:]')).toBe('(2, 3)');
    expect(repr('[1, 2, 3][-1]')).toBe('3');
    expect(repr('range(10, 20)[2]')).toBe('12');
    expect(pythonErrorKind('[1, 2, 3][3]')).toBe('IndexError');
  });

  it('keeps floats exact, so conditions mean what the template author meant', () => {
    // Python's binary floats say False to both; the templates' is_int() conditions rely on exactness.
    expect(repr('0.1 + 0.2 == 0.3')).toBe('True');
    expect(repr('is_int(0.07 * 100)')).toBe('True');
    expect(repr('1 / 3 * 3 == 1')).toBe('True');
    expect(repr('0.1 * 3')).toBe('0.3');
  });

  it('computes with fractions.Fraction as Python does', () => {
    expect(repr('Fraction(2, 4)')).toBe('1/2');
    expect(repr('Fraction(0.5)')).toBe('1/2');
    expect(repr("Fraction('3/4')")).toBe('3/4');
    expect(repr('Fraction(1, 3) * 3')).toBe('1');
    expect(repr('Fraction(1, 3) + 1')).toBe('4/3');
    expect(repr('Fraction(1, 2) + 0.25')).toBe('0.75');
    expect(repr('Fraction(7, 2) // 1')).toBe('3');
    expect(repr('60 * Fraction(300, 250)')).toBe('72');
  });

  it('repeats and joins lists, and builds them with range, arange and friends', () => {
    expect(repr('[1, 2] * 2')).toBe('[1, 2, 1, 2]');
    expect(repr('[1] + [2]')).toBe('[1, 2]');
    expect(repr('len(list(range(2, 6)) * 10)')).toBe('40');
    expect(repr('list(range(10, 0, -3))')).toBe('[10, 7, 4, 1]');
    expect(repr('np.arange(0.25, 1, 0.25)')).toBe('[0.25, 0.5, 0.75]');
    expect(repr('np.arange(11, 12, 0.5)')).toBe('[11.0, 11.5]');
    expect(repr('np.arange(1, 4)')).toBe('[1, 2, 3]');
    expect(repr('frange(1, 2, 0.5)')).toBe('[1.0, 1.5]');
    expect(repr('len(np.arange(0.21, 1, 0.01))')).toBe('79');
    expect(repr('fix_floats([0.1, 0.25])')).toBe('[0.1, 0.25]');
    expect(repr('numbers_within(2, 4)')).toBe("[('two', 2), ('three', 3), ('four', 4)]");
    expect(repr('fraction_nums[:2]')).toBe("[('1/2', 0.5), ('1/3', 0.3333333333333333)]");
  });

  it('implements is_int and divides as the templates use them', () => {
    expect(repr('is_int(4.0)')).toBe('True');
    expect(repr('is_int(9 * (1 / 3))')).toBe('True');
    expect(repr('is_int(4.5)')).toBe('False');
    expect(repr("is_int('4')")).toBe('False');
    // divides(a, b): a is divisible by b (the remora template: divides(x * 12, k * y) with 120, 12).
    expect(repr('divides(120, 12)')).toBe('True');
    expect(repr('divides(12, 120)')).toBe('False');
    expect(repr('divides(12, 0)')).toBe('False');
    expect(repr('divides(100, 120 / 6)')).toBe('True');
    expect(repr('divides(0.75, 0.25)')).toBe('True');
  });

  it('evaluates conditional expressions, sums, minimums and maximums', () => {
    expect(repr("7 if 'week' == 'week' else 30")).toBe('7');
    expect(repr('7 if 1 > 2 else 30')).toBe('30');
    expect(repr('sum([1, 2.5, 3])')).toBe('6.5');
    expect(repr('min(3, 1, 2)')).toBe('1');
    expect(repr('max([3, 7.5, 2])')).toBe('7.5');
    expect(repr('abs(-4)')).toBe('4');
  });

  it('treats a labeled vocabulary value as its number, and indexes it as its (label, number) tuple', () => {
    expect(repr('mult * 3', { mult: 2 }, { mult: 'twice' })).toBe('6');
    expect(repr('mult[1]', { mult: 2 }, { mult: 'twice' })).toBe('2');
    expect(repr('mult[0]', { mult: 2 }, { mult: 'twice' })).toBe("'twice'");
    expect(repr('int(frac * 9)', { frac: 1 / 3 }, { frac: 'a third' })).toBe('3');
  });

  it('reads `$name` as name, and bindings as the variables', () => {
    expect(repr('$ans + 1', { ans: 41 })).toBe('42');
    expect(repr('unit1 == "feet" and unit2 == "yards"', { unit1: 'feet', unit2: 'yards' })).toBe('True');
  });

  it('raises Python errors for bad operations', () => {
    expect(pythonErrorKind('1 / 0')).toBe('ZeroDivisionError');
    expect(pythonErrorKind('5 // 0')).toBe('ZeroDivisionError');
    expect(pythonErrorKind('5 % 0')).toBe('ZeroDivisionError');
    expect(pythonErrorKind('undefined_name + 1')).toBe('NameError');
    expect(pythonErrorKind("'a' + 1")).toBe('TypeError');
    expect(pythonErrorKind('sample([1, 2])')).toBe('ValueError'); // no randomness outside generation
  });

  it('rejects malformed expressions with a syntax error naming the column', () => {
    expect(() => evaluatePython('1 +')).toThrow(ExpressionSyntaxError);
    expect(() => evaluatePython('(1, 2')).toThrow(/expected '\)'/);
    expect(() => evaluatePython('1 if 2')).toThrow(/expected 'else'/);
    expect(() => evaluatePython('a = 1')).toThrow(/unexpected '='/);
  });
});
