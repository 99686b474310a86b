/**
 * The functions templates call: Python built-ins (`int`, `round`, `len`...), numpy's `arange` and
 * `random.randint`, `fractions.Fraction`, and the GSM-Symbolic helpers, whose semantics are
 * inferred from how the templates use them (README in this folder):
 * - `range(a, b, s)`: Python's range; a `$x = range(...)` assignment then draws one element.
 * - `arange`/`np.arange(a, b, s)`: numpy's, start included, stop excluded, exact steps.
 * - `frange(a, b, s)`: `arange` that always yields floats.
 * - `randint`/`np.random.randint(low, high, size)`: numpy's, `high` excluded; `size` numbers.
 * - `sample(seq)`: one element; `sample(seq, k)`: k elements at distinct positions (random.sample).
 * - `sample_sequential(seq, k)`: k consecutive elements from a random start, wrapping around
 *   ("Saturday, Sunday, Monday" is a default, so the week is circular).
 * - `numbers_within(a, b)`: the numbers a..b inclusive, each shown as a word: ("two", 2).
 * - `shuffle_list(seq)`: a shuffled copy.
 * - `fix_floats(x)`: rounds floats to 10 decimals (numpy's arange noise); exact here, so a no-op
 *   for the templates' values.
 * - `is_int(x)`: x is a number with no fractional part. `divides(a, b)`: b != 0 and a / b is whole
 *   ("a is divisible by b": `divides(x * 12, k * y)` holds for the default 120 and 12).
 */
import { numberToWords } from './number-words.js';
import {
  PyFunction,
  PyModule,
  PyRange,
  PyRational,
  PyTuple,
  PythonError,
  absolute,
  add,
  compare,
  divide,
  decimalPlaces,
  floatFromLiteral,
  floorDivide,
  isNumeric,
  isWholeNumber,
  iterate,
  multiply,
  negate,
  pythonString,
  roundHalfEven,
  sequenceAt,
  sequenceLength,
  subtract,
  toFloat,
  toFraction,
  toInt,
  truthy,
  typeName,
  unwrapLabel,
  type PyCallable,
  type PyValue,
} from './python-values.js';
import type { RandomSource } from './seeded-random.js';

/** The names every template can use (vocabularies are added by the caller). */
export function createBuiltins(random: RandomSource | undefined): Map<string, PyValue> {
  const needRandom = (name: string): RandomSource => {
    if (random === undefined) throw new PythonError('ValueError', `${name}() draws at random; not available here`);
    return random;
  };

  const functions: Record<string, PyCallable> = {
    range: (args, keywords) => {
      expectArguments('range', args, keywords, 1, 3);
      const bounds = args.map((argument) => integerArgument('range', argument));
      const [start, stop, step] = bounds.length === 1 ? [0, bounds[0] as number, 1] : [bounds[0] as number, bounds[1] as number, bounds[2] ?? 1];
      if (step === 0) throw new PythonError('ValueError', 'range() arg 3 must not be zero');
      return new PyRange(start, stop, step);
    },
    arange: (args, keywords) => arange('arange', args, keywords, false),
    frange: (args, keywords) => arange('frange', args, keywords, true),
    randint: (args, keywords) => numpyRandint(needRandom('randint'), args, keywords),
    sample: (args, keywords) => {
      expectArguments('sample', args, keywords, 1, 2, ['k']);
      const population = sequenceArgument('sample', args[0] as PyValue);
      const count = args[1] ?? keywords.get('k') ?? null;
      const source = needRandom('sample');
      const length = sequenceLength(population);
      if (count === null) {
        if (length === 0) throw new PythonError('IndexError', 'cannot sample from an empty sequence');
        return sequenceAt(population, source.nextIndex(length));
      }
      const k = integerArgument('sample', count);
      if (k < 0 || k > length) throw new PythonError('ValueError', 'sample larger than population or is negative');
      // Partial Fisher-Yates over positions: k distinct positions, as random.sample.
      const positions = Array.from({ length }, (_, index) => index);
      const chosen: PyValue[] = [];
      for (let index = 0; index < k; index += 1) {
        const swap = index + source.nextIndex(length - index);
        [positions[index], positions[swap]] = [positions[swap] as number, positions[index] as number];
        chosen.push(sequenceAt(population, positions[index] as number));
      }
      return chosen;
    },
    sample_sequential: (args, keywords) => {
      expectArguments('sample_sequential', args, keywords, 2, 2);
      const population = sequenceArgument('sample_sequential', args[0] as PyValue);
      const k = integerArgument('sample_sequential', args[1] as PyValue);
      const length = sequenceLength(population);
      if (k < 0 || k > length) throw new PythonError('ValueError', 'sample larger than population or is negative');
      const start = needRandom('sample_sequential').nextIndex(length);
      return Array.from({ length: k }, (_, offset) => sequenceAt(population, (start + offset) % length));
    },
    shuffle_list: (args, keywords) => {
      expectArguments('shuffle_list', args, keywords, 1, 1);
      const items = [...iterate(args[0] as PyValue)];
      const source = needRandom('shuffle_list');
      for (let index = items.length - 1; index > 0; index -= 1) {
        const swap = source.nextIndex(index + 1);
        [items[index], items[swap]] = [items[swap] as PyValue, items[index] as PyValue];
      }
      return items;
    },
    numbers_within: (args, keywords) => {
      expectArguments('numbers_within', args, keywords, 2, 2);
      const low = integerArgument('numbers_within', args[0] as PyValue);
      const high = integerArgument('numbers_within', args[1] as PyValue);
      const items: PyValue[] = [];
      for (let value = low; value <= high; value += 1) items.push(new PyTuple([numberToWords(value), value]));
      return items;
    },
    fix_floats: (args, keywords) => {
      expectArguments('fix_floats', args, keywords, 1, 1);
      const value = args[0] as PyValue;
      if (Array.isArray(value) || value instanceof PyTuple || value instanceof PyRange) return iterate(value).map(fixFloat);
      return fixFloat(value);
    },
    is_int: (args, keywords) => {
      expectArguments('is_int', args, keywords, 1, 1);
      return isWholeNumber(args[0] as PyValue);
    },
    divides: (args, keywords) => {
      expectArguments('divides', args, keywords, 2, 2);
      const [dividend, divisor] = args as [PyValue, PyValue];
      if (!isNumeric(dividend) || !isNumeric(divisor)) {
        throw new PythonError('TypeError', `divides() needs numbers, got '${typeName(dividend)}' and '${typeName(divisor)}'`);
      }
      if (!truthy(unwrapLabel(divisor))) return false;
      return isWholeNumber(divide(dividend, divisor));
    },
    Fraction: (args, keywords) => {
      expectArguments('Fraction', args, keywords, 1, 2);
      return toFraction(args[0] as PyValue, args[1] ?? 1);
    },
    int: (args, keywords) => {
      expectArguments('int', args, keywords, 0, 1);
      return args.length === 0 ? 0 : toInt(args[0] as PyValue);
    },
    float: (args, keywords) => {
      expectArguments('float', args, keywords, 0, 1);
      const value = args[0] ?? 0;
      return typeof value === 'string' ? toFloat(parseFloatText(value)) : toFloat(value);
    },
    round: (args, keywords) => {
      expectArguments('round', args, keywords, 1, 2, ['ndigits']);
      const digits = args[1] ?? keywords.get('ndigits') ?? null;
      return roundHalfEven(args[0] as PyValue, digits === null ? undefined : integerArgument('round', digits));
    },
    abs: (args, keywords) => {
      expectArguments('abs', args, keywords, 1, 1);
      return absolute(args[0] as PyValue);
    },
    len: (args, keywords) => {
      expectArguments('len', args, keywords, 1, 1);
      return sequenceLength(args[0] as PyValue);
    },
    list: (args, keywords) => {
      expectArguments('list', args, keywords, 0, 1);
      return args.length === 0 ? [] : [...iterate(args[0] as PyValue)];
    },
    tuple: (args, keywords) => {
      expectArguments('tuple', args, keywords, 0, 1);
      return new PyTuple(args.length === 0 ? [] : iterate(args[0] as PyValue));
    },
    sorted: (args, keywords) => {
      expectArguments('sorted', args, keywords, 1, 1, ['reverse']);
      const items = [...iterate(args[0] as PyValue)].sort((left, right) => compare(left, right, '<'));
      return truthy(keywords.get('reverse') ?? false) ? items.reverse() : items;
    },
    str: (args, keywords) => {
      expectArguments('str', args, keywords, 0, 1);
      return args.length === 0 ? '' : pythonString(args[0] as PyValue);
    },
    bool: (args, keywords) => {
      expectArguments('bool', args, keywords, 0, 1);
      return args.length === 0 ? false : truthy(args[0] as PyValue);
    },
    sum: (args, keywords) => {
      expectArguments('sum', args, keywords, 1, 2, ['start']);
      let total: PyValue = args[1] ?? keywords.get('start') ?? 0;
      for (const item of iterate(args[0] as PyValue)) total = add(total, item);
      return total;
    },
    min: (args, keywords) => extreme('min', args, keywords, -1),
    max: (args, keywords) => extreme('max', args, keywords, 1),
  };

  const builtins = new Map<string, PyValue>();
  for (const [name, invoke] of Object.entries(functions)) builtins.set(name, new PyFunction(name, invoke));
  const randomModule = new PyModule('numpy.random', new Map([['randint', builtins.get('randint') as PyValue]]));
  builtins.set(
    'np',
    new PyModule(
      'numpy',
      new Map<string, PyValue>([
        ['arange', builtins.get('arange') as PyValue],
        ['random', randomModule],
      ]),
    ),
  );
  return builtins;
}

/** Built-ins that neither draw at random nor depend on anything but their arguments. */
export const deterministicFunctionNames: ReadonlySet<string> = new Set([
  'range', 'arange', 'np.arange', 'frange', 'numbers_within', 'fix_floats', 'is_int', 'divides', 'Fraction',
  'int', 'float', 'round', 'abs', 'len', 'list', 'tuple', 'sorted', 'str', 'bool', 'sum', 'min', 'max',
]);

function expectArguments(
  name: string,
  args: PyValue[],
  keywords: ReadonlyMap<string, PyValue>,
  minimum: number,
  maximum: number,
  keywordNames: readonly string[] = [],
): void {
  for (const keyword of keywords.keys()) {
    if (!keywordNames.includes(keyword)) {
      throw new PythonError('TypeError', `${name}() got an unexpected keyword argument '${keyword}'`);
    }
  }
  if (args.length < minimum || args.length > maximum) {
    const expected = minimum === maximum ? `${minimum}` : `${minimum} to ${maximum}`;
    throw new PythonError('TypeError', `${name}() takes ${expected} positional arguments but ${args.length} were given`);
  }
}

function integerArgument(name: string, value: PyValue): number {
  const unwrapped = unwrapLabel(value);
  if (typeof unwrapped === 'boolean') return unwrapped ? 1 : 0;
  if (typeof unwrapped !== 'number') {
    throw new PythonError('TypeError', `${name}(): '${typeName(value)}' object cannot be interpreted as an integer`);
  }
  return unwrapped;
}

function sequenceArgument(name: string, value: PyValue): PyValue {
  if (Array.isArray(value) || value instanceof PyTuple || value instanceof PyRange || typeof value === 'string') return value;
  throw new PythonError('TypeError', `${name}(): population must be a sequence, not '${typeName(value)}'`);
}

/** numpy.arange with exact steps: start, start + step, ... while before stop. */
function arange(name: string, args: PyValue[], keywords: ReadonlyMap<string, PyValue>, alwaysFloat: boolean): PyValue[] {
  expectArguments(name, args, keywords, 1, 3);
  const [start, stop, step] = args.length === 1 ? [0, args[0] as PyValue, 1] : [args[0] as PyValue, args[1] as PyValue, args[2] ?? 1];
  for (const bound of [start, stop, step]) {
    if (!isNumeric(bound)) throw new PythonError('TypeError', `${name}() needs numbers, got '${typeName(bound)}'`);
  }
  if (!truthy(step)) throw new PythonError('ZeroDivisionError', `${name}() step must not be zero`);
  const allIntegers = [start, stop, step].every((bound) => typeof unwrapLabel(bound) === 'number');
  const asFloat = alwaysFloat || !allIntegers;
  // Length ceil((stop - start) / step), computed exactly.
  const span = divide(subtract(stop, start), step);
  const count = Math.max(0, -toInt(floorDivide(negate(span), 1))); // ceil(span) = -floor(-span)
  const items: PyValue[] = [];
  for (let index = 0; index < count; index += 1) {
    const value = add(start, multiply(index, step));
    items.push(asFloat ? toFloat(value) : value);
  }
  return items;
}

function numpyRandint(random: RandomSource, args: PyValue[], keywords: ReadonlyMap<string, PyValue>): PyValue {
  expectArguments('randint', args, keywords, 1, 3, ['size', 'high']);
  const first = integerArgument('randint', args[0] as PyValue);
  const secondValue = args[1] ?? keywords.get('high') ?? null;
  const [low, high] = secondValue === null ? [0, first] : [first, integerArgument('randint', secondValue)];
  if (high <= low) throw new PythonError('ValueError', 'randint: low >= high');
  const sizeValue = args[2] ?? keywords.get('size') ?? null;
  const draw = (): number => low + random.nextIndex(high - low);
  if (sizeValue === null) return draw();
  const size = integerArgument('randint', sizeValue);
  return Array.from({ length: size }, draw);
}

function fixFloat(value: PyValue): PyValue {
  const unwrapped = unwrapLabel(value);
  if (!(unwrapped instanceof PyRational) || unwrapped.isFraction) return value;
  const places = decimalPlaces(unwrapped.denominator);
  if (places !== undefined && places <= 10) return value;
  return roundHalfEven(unwrapped, 10);
}

function parseFloatText(text: string): PyValue {
  const match = /^\s*([+-]?)\s*(\d*\.?\d*(?:[eE][+-]?\d+)?)\s*$/.exec(text);
  if (match === null || !/\d/.test(match[2] ?? '')) {
    throw new PythonError('ValueError', `could not convert string to float: '${text}'`);
  }
  const magnitude = floatFromLiteral(match[2] as string);
  return match[1] === '-' ? negate(magnitude) : magnitude;
}

function extreme(name: string, args: PyValue[], keywords: ReadonlyMap<string, PyValue>, sign: 1 | -1): PyValue {
  expectArguments(name, args, keywords, 1, Number.POSITIVE_INFINITY);
  const items = args.length === 1 ? iterate(args[0] as PyValue) : args;
  if (items.length === 0) throw new PythonError('ValueError', `${name}() arg is an empty sequence`);
  let best = items[0] as PyValue;
  for (const item of items.slice(1)) if (sign * compare(item, best, sign > 0 ? '>' : '<') > 0) best = item;
  return best;
}
