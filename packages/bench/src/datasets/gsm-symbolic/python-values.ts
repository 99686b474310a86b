/**
 * The values of the templates' Python-like language and the operations on them, with Python's
 * semantics where a template can tell the difference:
 * - `int` is a JS number that is always an integer; `/` of two ints gives a float, `//` floors,
 *   `%` takes the sign of the divisor, `**` of ints stays an int.
 * - A Python float is kept as an exact rational (`PyRational` with `isFraction: false`), so
 *   `0.1 * 3 == 0.3` and `is_int(7 / 100 * 100)` hold as the template author meant. Python's own
 *   float rounding noise is the one difference, and it only ever turned true conditions false.
 * - `fractions.Fraction` is a `PyRational` with `isFraction: true`; mixing follows Python's rules
 *   (int op Fraction gives Fraction, anything op float gives float).
 * - A vocabulary entry such as `("twice", 2)` assigned to a template variable becomes a
 *   `LabeledValue`: the question shows the label, arithmetic sees the value, and `x[0]`, `x[1]`
 *   still index it like the tuple it came from (two templates do write `mult[1]`).
 */

/** A Python float (exact, see above) or a `fractions.Fraction`. Always normalized. */
export class PyRational {
  constructor(
    readonly numerator: number,
    readonly denominator: number,
    readonly isFraction: boolean,
  ) {}
}

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** `range(start, stop, step)`, kept lazy: `range(1, 1500)` is sampled without being built. */
export class PyRange {
  readonly length: number;
  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
  ) {
    const span = step > 0 ? stop - start : start - stop;
    this.length = span <= 0 ? 0 : Math.ceil(span / Math.abs(step));
  }

  at(index: number): number {
    return this.start + index * this.step;
  }
}

/** A vocabulary word standing for a number: shows `label`, computes with `value`. */
export class LabeledValue {
  constructor(
    readonly label: string,
    readonly value: PyValue,
  ) {}
}

export type PyCallable = (positional: PyValue[], keywords: ReadonlyMap<string, PyValue>) => PyValue;

export class PyFunction {
  constructor(
    readonly name: string,
    readonly invoke: PyCallable,
  ) {}
}

/** A namespace such as `np` or `np.random`: only attribute access is allowed on it. */
export class PyModule {
  constructor(
    readonly name: string,
    readonly members: ReadonlyMap<string, PyValue>,
  ) {}
}

/** A Python list is a JS array; `null` is None. */
export type PyValue =
  | number
  | boolean
  | string
  | null
  | PyRational
  | PyTuple
  | PyRange
  | LabeledValue
  | PyFunction
  | PyModule
  | PyValue[];

export type PythonErrorKind =
  | 'TypeError'
  | 'ValueError'
  | 'ZeroDivisionError'
  | 'NameError'
  | 'IndexError'
  | 'OverflowError'
  | 'AttributeError';

/** A Python exception raised while evaluating a template expression. */
export class PythonError extends Error {
  constructor(
    readonly kind: PythonErrorKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = 'PythonError';
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** Numeric tower rank, as Python widens: int < Fraction < float. */
const Rank = { Int: 0, Fraction: 1, Float: 2 } as const;
type Rank = (typeof Rank)[keyof typeof Rank];

interface Numeric {
  numerator: number;
  denominator: number;
  rank: Rank;
}

export function isNumeric(value: PyValue): boolean {
  return toNumeric(value) !== undefined;
}

function toNumeric(value: PyValue): Numeric | undefined {
  if (typeof value === 'number') return { numerator: value, denominator: 1, rank: Rank.Int };
  if (typeof value === 'boolean') return { numerator: value ? 1 : 0, denominator: 1, rank: Rank.Int };
  if (value instanceof PyRational) {
    return {
      numerator: value.numerator,
      denominator: value.denominator,
      rank: value.isFraction ? Rank.Fraction : Rank.Float,
    };
  }
  if (value instanceof LabeledValue) return toNumeric(value.value);
  return undefined;
}

function greatestCommonDivisor(left: number, right: number): number {
  let a = Math.abs(left);
  let b = Math.abs(right);
  while (b !== 0) {
    const remainder = a % b;
    a = b;
    b = remainder;
  }
  return a;
}

function bigGreatestCommonDivisor(left: bigint, right: bigint): bigint {
  let a = left < 0n ? -left : left;
  let b = right < 0n ? -right : right;
  while (b !== 0n) {
    const remainder = a % b;
    a = b;
    b = remainder;
  }
  return a;
}

function makeNumber(numerator: number, denominator: number, rank: Rank): PyValue {
  if (denominator === 0) throw new PythonError('ZeroDivisionError', 'division by zero');
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator)) {
    return makeBigNumber(BigInt(numerator), BigInt(denominator), rank);
  }
  if (denominator < 0) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const divisor = greatestCommonDivisor(numerator, denominator);
  if (divisor > 1) {
    numerator /= divisor;
    denominator /= divisor;
  }
  if (rank === Rank.Int) {
    if (denominator !== 1) throw new Error(`internal: int with denominator ${denominator}`);
    return numerator === 0 ? 0 : numerator; // no -0
  }
  return new PyRational(numerator === 0 ? 0 : numerator, denominator, rank === Rank.Fraction);
}

// Exact arithmetic outgrew 2^53 on the way: finish in BigInt, then come back to numbers.
function makeBigNumber(numerator: bigint, denominator: bigint, rank: Rank): PyValue {
  if (denominator === 0n) throw new PythonError('ZeroDivisionError', 'division by zero');
  if (denominator < 0n) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const divisor = bigGreatestCommonDivisor(numerator, denominator);
  if (divisor > 1n) {
    numerator /= divisor;
    denominator /= divisor;
  }
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  if (numerator > limit || -numerator > limit || denominator > limit) {
    throw new PythonError('OverflowError', 'exact arithmetic exceeded 2^53 (see README: exact floats)');
  }
  return makeNumber(Number(numerator), Number(denominator), rank);
}

function allSafe(...values: number[]): boolean {
  for (const value of values) if (!Number.isSafeInteger(value)) return false;
  return true;
}

function big(value: number): bigint {
  return BigInt(value);
}

function numericOperands(left: PyValue, right: PyValue, operator: string): [Numeric, Numeric] {
  const a = toNumeric(left);
  const b = toNumeric(right);
  if (a === undefined || b === undefined) {
    throw new PythonError(
      'TypeError',
      `unsupported operand type(s) for ${operator}: '${typeName(left)}' and '${typeName(right)}'`,
    );
  }
  return [a, b];
}

function addNumbers(a: Numeric, b: Numeric, sign: 1 | -1): PyValue {
  const rank = Math.max(a.rank, b.rank) as Rank;
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  const denominator = a.denominator * b.denominator;
  const numerator = left + sign * right;
  if (allSafe(left, right, denominator, numerator)) return makeNumber(numerator, denominator, rank);
  return makeBigNumber(
    big(a.numerator) * big(b.denominator) + big(sign) * big(b.numerator) * big(a.denominator),
    big(a.denominator) * big(b.denominator),
    rank,
  );
}

function multiplyNumbers(a: Numeric, b: Numeric): PyValue {
  const rank = Math.max(a.rank, b.rank) as Rank;
  const numerator = a.numerator * b.numerator;
  const denominator = a.denominator * b.denominator;
  if (allSafe(numerator, denominator)) return makeNumber(numerator, denominator, rank);
  return makeBigNumber(big(a.numerator) * big(b.numerator), big(a.denominator) * big(b.denominator), rank);
}

function divideNumbers(a: Numeric, b: Numeric): PyValue {
  if (b.numerator === 0) throw new PythonError('ZeroDivisionError', 'division by zero');
  // True division: int / int is a float; Fraction stays Fraction unless a float is involved.
  const rank =
    a.rank !== Rank.Float && b.rank !== Rank.Float && (a.rank === Rank.Fraction || b.rank === Rank.Fraction)
      ? Rank.Fraction
      : Rank.Float;
  const numerator = a.numerator * b.denominator;
  const denominator = a.denominator * b.numerator;
  if (allSafe(numerator, denominator)) return makeNumber(numerator, denominator, rank);
  return makeBigNumber(big(a.numerator) * big(b.denominator), big(a.denominator) * big(b.numerator), rank);
}

/** floor(numerator / denominator) for safe integers, exact (denominator may be negative). */
function floorQuotient(numerator: number, denominator: number): number {
  if (denominator < 0) {
    numerator = -numerator;
    denominator = -denominator;
  }
  let quotient = Math.floor(numerator / denominator);
  // The double quotient is correctly rounded; nudge if it landed one off an exact integer.
  if (quotient * denominator > numerator) quotient -= 1;
  else if ((quotient + 1) * denominator <= numerator) quotient += 1;
  return quotient === 0 ? 0 : quotient; // no -0
}

function floorDivideNumbers(a: Numeric, b: Numeric): PyValue {
  if (b.numerator === 0) throw new PythonError('ZeroDivisionError', 'integer division or modulo by zero');
  const numerator = a.numerator * b.denominator;
  const denominator = a.denominator * b.numerator;
  let quotient: number;
  if (allSafe(numerator, denominator)) {
    quotient = floorQuotient(numerator, denominator);
  } else {
    const n = big(a.numerator) * big(b.denominator);
    const d = big(a.denominator) * big(b.numerator);
    let q = n / d;
    if ((n % d !== 0n) && ((n < 0n) !== (d < 0n))) q -= 1n;
    quotient = Number(q);
  }
  // Python: int // int and Fraction // Fraction give int; anything with a float gives a float.
  const rank = Math.max(a.rank, b.rank) === Rank.Float ? Rank.Float : Rank.Int;
  return makeNumber(quotient, 1, rank);
}

function moduloNumbers(a: Numeric, b: Numeric): PyValue {
  if (b.numerator === 0) throw new PythonError('ZeroDivisionError', 'integer division or modulo by zero');
  // a - b * floor(a / b): the result takes the sign of the divisor, as in Python.
  const quotient = toNumeric(floorDivideNumbers(a, b)) as Numeric;
  const product = toNumeric(multiplyNumbers(b, { ...quotient, rank: Rank.Int })) as Numeric;
  const remainder = toNumeric(addNumbers(a, product, -1)) as Numeric;
  const rank = Math.max(a.rank, b.rank) as Rank;
  return makeNumber(remainder.numerator, remainder.denominator, rank);
}

function powerNumbers(a: Numeric, b: Numeric): PyValue {
  if (b.denominator === 1) {
    const exponent = b.numerator;
    if (exponent >= 0) {
      const rank = Math.max(a.rank, b.rank) as Rank;
      const numerator = a.numerator ** exponent;
      const denominator = a.denominator ** exponent;
      if (allSafe(numerator, denominator)) return makeNumber(numerator, denominator, rank);
      return makeBigNumber(big(a.numerator) ** big(exponent), big(a.denominator) ** big(exponent), rank);
    }
    if (a.numerator === 0) throw new PythonError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
    // int ** negative int is a float in Python; Fraction stays a Fraction.
    const rank = a.rank === Rank.Int && b.rank === Rank.Int ? Rank.Float : (Math.max(a.rank, b.rank) as Rank);
    return powerNumbers({ numerator: a.denominator, denominator: a.numerator, rank }, { ...b, numerator: -exponent });
  }
  // A fractional exponent leaves the rationals: approximate the real result (no template does this).
  const result = (a.numerator / a.denominator) ** (b.numerator / b.denominator);
  if (Number.isNaN(result)) throw new PythonError('ValueError', 'math domain error (complex result)');
  return floatFromDouble(result);
}

function compareNumbers(a: Numeric, b: Numeric): number {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  if (allSafe(left, right)) return left < right ? -1 : left > right ? 1 : 0;
  const bigLeft = big(a.numerator) * big(b.denominator);
  const bigRight = big(b.numerator) * big(a.denominator);
  return bigLeft < bigRight ? -1 : bigLeft > bigRight ? 1 : 0;
}

/** The nearest simple rational to a double (denominator up to 10^9), as a Python float. */
export function floatFromDouble(value: number): PyRational {
  if (!Number.isFinite(value)) throw new PythonError('OverflowError', `cannot represent ${value} exactly`);
  const [numerator, denominator] = approximateRational(value, 1_000_000_000);
  return makeNumber(numerator, denominator, Rank.Float) as PyRational;
}

/** Best rational approximation by continued fractions, stopping once it is exact to 1e-15. */
export function approximateRational(value: number, maximumDenominator: number): [number, number] {
  if (Number.isInteger(value)) return [value, 1];
  const sign = value < 0 ? -1 : 1;
  let remainder = Math.abs(value);
  let previousNumerator = 0;
  let numerator = 1;
  let previousDenominator = 1;
  let denominator = 0;
  for (let step = 0; step < 64; step += 1) {
    const whole = Math.floor(remainder);
    const nextNumerator = whole * numerator + previousNumerator;
    const nextDenominator = whole * denominator + previousDenominator;
    if (nextDenominator > maximumDenominator) break;
    previousNumerator = numerator;
    numerator = nextNumerator;
    previousDenominator = denominator;
    denominator = nextDenominator;
    const approximation = numerator / denominator;
    if (Math.abs(approximation - Math.abs(value)) <= 1e-15 * Math.max(1, Math.abs(value))) break;
    const fractional = remainder - whole;
    if (fractional === 0) break;
    remainder = 1 / fractional;
  }
  return [sign * numerator, denominator];
}

/** An exact Python float from a decimal literal such as `0.25`, `1.0` or `2.5e-3`. */
export function floatFromLiteral(text: string): PyValue {
  const match = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) throw new PythonError('ValueError', `could not convert string to float: '${text}'`);
  const whole = match[1] ?? '';
  const fraction = match[2] ?? '';
  const exponent = Number.parseInt(match[3] ?? '0', 10) - fraction.length;
  const digits = BigInt(`${whole}${fraction}` === '' ? '0' : `${whole}${fraction}`);
  if (exponent >= 0) return makeBigNumber(digits * 10n ** BigInt(exponent), 1n, Rank.Float);
  return makeBigNumber(digits, 10n ** BigInt(-exponent), Rank.Float);
}

export function makeFloat(numerator: number, denominator = 1): PyValue {
  return makeNumber(numerator, denominator, Rank.Float);
}

export function makeFraction(numerator: number, denominator = 1): PyValue {
  return makeNumber(numerator, denominator, Rank.Fraction);
}

/** Converts any numeric value to Python float, exactly. */
export function toFloat(value: PyValue): PyValue {
  const number = toNumeric(value);
  if (number === undefined) throw new PythonError('TypeError', `float() argument must be a number, not '${typeName(value)}'`);
  return makeNumber(number.numerator, number.denominator, Rank.Float);
}

/** `fractions.Fraction(value)` or `Fraction(numerator, denominator)`. */
export function toFraction(numerator: PyValue, denominator: PyValue = 1): PyValue {
  const top = typeof numerator === 'string' ? parseFractionString(numerator) : toNumeric(numerator);
  const bottom = toNumeric(denominator);
  if (top === undefined || bottom === undefined) {
    throw new PythonError('TypeError', 'both arguments of Fraction() should be numbers');
  }
  if (bottom.numerator === 0) throw new PythonError('ZeroDivisionError', 'Fraction(x, 0)');
  const quotient = toNumeric(divideNumbers({ ...top, rank: Rank.Fraction }, { ...bottom, rank: Rank.Fraction })) as Numeric;
  return makeNumber(quotient.numerator, quotient.denominator, Rank.Fraction);
}

function parseFractionString(text: string): Numeric | undefined {
  const match = /^\s*([+-]?\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (match !== null) {
    return { numerator: Number(match[1]), denominator: Number(match[2]), rank: Rank.Fraction };
  }
  try {
    return toNumeric(floatFromLiteral(text.trim()));
  } catch {
    return undefined;
  }
}

/** Python `int()`: truncates toward zero; parses integer strings. */
export function toInt(value: PyValue): number {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (!/^[+-]?\d+$/.test(trimmed)) throw new PythonError('ValueError', `invalid literal for int(): '${value}'`);
    return Number.parseInt(trimmed, 10);
  }
  const number = toNumeric(value);
  if (number === undefined) throw new PythonError('TypeError', `int() argument must be a number, not '${typeName(value)}'`);
  if (number.denominator === 1) return number.numerator;
  const floor = floorQuotient(number.numerator, number.denominator);
  return number.numerator < 0 ? floor + 1 : floor;
}

/** Python `round(value)`: to the nearest int, ties to even (banker's rounding). */
export function roundHalfEven(value: PyValue, digits?: number): PyValue {
  const number = toNumeric(value);
  if (number === undefined) throw new PythonError('TypeError', `type ${typeName(value)} doesn't define __round__`);
  const scale = digits === undefined ? 1 : 10 ** Math.abs(digits);
  // Scale so that rounding to an integer rounds to `digits` places.
  const scaled =
    digits === undefined || digits === 0
      ? number
      : (toNumeric(
          digits > 0
            ? multiplyNumbers(number, { numerator: scale, denominator: 1, rank: Rank.Int })
            : divideNumbers(number, { numerator: scale, denominator: 1, rank: Rank.Fraction }),
        ) as Numeric);
  const floor = floorQuotient(scaled.numerator, scaled.denominator);
  const twiceRemainder = 2 * (scaled.numerator - floor * scaled.denominator);
  let rounded = floor;
  if (twiceRemainder > scaled.denominator) rounded = floor + 1;
  else if (twiceRemainder === scaled.denominator && floor % 2 !== 0) rounded = floor + 1;
  if (digits === undefined) return rounded;
  const result =
    digits >= 0
      ? makeNumber(rounded, scale, number.rank)
      : makeNumber(rounded * scale, 1, number.rank);
  return result;
}

/** The value as a JS double (for answers and JSON). */
export function toDouble(value: PyValue): number {
  const number = toNumeric(value);
  if (number === undefined) throw new PythonError('TypeError', `expected a number, got '${typeName(value)}'`);
  return number.numerator / number.denominator;
}

/** True for an int, or a float/Fraction whose value is a whole number. */
export function isWholeNumber(value: PyValue): boolean {
  const number = toNumeric(value);
  return number !== undefined && number.denominator === 1;
}

export function isInt(value: PyValue): value is number {
  return typeof value === 'number';
}

export function isFloat(value: PyValue): boolean {
  const unwrapped = unwrapLabel(value);
  return unwrapped instanceof PyRational && !unwrapped.isFraction;
}

export function unwrapLabel(value: PyValue): PyValue {
  return value instanceof LabeledValue ? value.value : value;
}

// ---------------------------------------------------------------------------------------------
// Operators

export function add(left: PyValue, right: PyValue): PyValue {
  if (typeof left === 'number' && typeof right === 'number') return checkedInt(left + right);
  const a = unwrapLabel(left);
  const b = unwrapLabel(right);
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (a instanceof PyTuple && b instanceof PyTuple) return new PyTuple([...a.items, ...b.items]);
  const [x, y] = numericOperands(a, b, '+');
  return addNumbers(x, y, 1);
}

export function subtract(left: PyValue, right: PyValue): PyValue {
  if (typeof left === 'number' && typeof right === 'number') return checkedInt(left - right);
  const [x, y] = numericOperands(unwrapLabel(left), unwrapLabel(right), '-');
  return addNumbers(x, y, -1);
}

export function multiply(left: PyValue, right: PyValue): PyValue {
  if (typeof left === 'number' && typeof right === 'number') {
    const product = left * right;
    if (Number.isSafeInteger(product)) return product === 0 ? 0 : product;
  }
  const a = unwrapLabel(left);
  const b = unwrapLabel(right);
  const sequence = repeatSequence(a, b) ?? repeatSequence(b, a);
  if (sequence !== undefined) return sequence;
  const [x, y] = numericOperands(a, b, '*');
  return multiplyNumbers(x, y);
}

// `[...] * 5`, `'ab' * 2`: sequence repetition, as in Python.
function repeatSequence(sequence: PyValue, count: PyValue): PyValue | undefined {
  if (typeof count !== 'number' && typeof count !== 'boolean') return undefined;
  const times = Math.max(0, Number(count));
  if (typeof sequence === 'string') return sequence.repeat(times);
  if (Array.isArray(sequence)) {
    const result: PyValue[] = [];
    for (let index = 0; index < times; index += 1) result.push(...sequence);
    return result;
  }
  if (sequence instanceof PyTuple) {
    const result: PyValue[] = [];
    for (let index = 0; index < times; index += 1) result.push(...sequence.items);
    return new PyTuple(result);
  }
  return undefined;
}

export function divide(left: PyValue, right: PyValue): PyValue {
  const [x, y] = numericOperands(unwrapLabel(left), unwrapLabel(right), '/');
  return divideNumbers(x, y);
}

export function floorDivide(left: PyValue, right: PyValue): PyValue {
  if (typeof left === 'number' && typeof right === 'number' && right !== 0) return floorQuotient(left, right);
  const [x, y] = numericOperands(unwrapLabel(left), unwrapLabel(right), '//');
  return floorDivideNumbers(x, y);
}

export function modulo(left: PyValue, right: PyValue): PyValue {
  if (typeof left === 'number' && typeof right === 'number' && right !== 0) {
    const remainder = left % right;
    return remainder !== 0 && remainder < 0 !== right < 0 ? remainder + right : remainder === 0 ? 0 : remainder;
  }
  const [x, y] = numericOperands(unwrapLabel(left), unwrapLabel(right), '%');
  return moduloNumbers(x, y);
}

export function power(left: PyValue, right: PyValue): PyValue {
  const [x, y] = numericOperands(unwrapLabel(left), unwrapLabel(right), '**');
  return powerNumbers(x, y);
}

export function negate(value: PyValue): PyValue {
  if (typeof value === 'number') return value === 0 ? 0 : -value;
  const number = toNumeric(value);
  if (number === undefined) throw new PythonError('TypeError', `bad operand type for unary -: '${typeName(value)}'`);
  return makeNumber(-number.numerator, number.denominator, number.rank);
}

export function positive(value: PyValue): PyValue {
  const number = toNumeric(value);
  if (number === undefined) throw new PythonError('TypeError', `bad operand type for unary +: '${typeName(value)}'`);
  return makeNumber(number.numerator, number.denominator, number.rank);
}

export function absolute(value: PyValue): PyValue {
  const number = toNumeric(value);
  if (number === undefined) throw new PythonError('TypeError', `bad operand type for abs(): '${typeName(value)}'`);
  return makeNumber(Math.abs(number.numerator), number.denominator, number.rank);
}

function checkedInt(value: number): number {
  if (!Number.isSafeInteger(value)) throw new PythonError('OverflowError', 'integer exceeded 2^53');
  return value === 0 ? 0 : value;
}

// ---------------------------------------------------------------------------------------------
// Comparison, truth, membership

export function equals(left: PyValue, right: PyValue): boolean {
  if (left === right) return true;
  const a = unwrapLabel(left);
  const b = unwrapLabel(right);
  const x = toNumeric(a);
  const y = toNumeric(b);
  if (x !== undefined && y !== undefined) return compareNumbers(x, y) === 0;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return sequenceEquals(a, b);
  if (a instanceof PyTuple && b instanceof PyTuple) return sequenceEquals(a.items, b.items);
  if (a instanceof PyRange && b instanceof PyRange) return sequenceEquals(iterate(a), iterate(b));
  return a === b;
}

function sequenceEquals(left: readonly PyValue[], right: readonly PyValue[]): boolean {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index += 1) {
    if (!equals(left[index] as PyValue, right[index] as PyValue)) return false;
  }
  return true;
}

/** `<`, `<=`, `>`, `>=` as a sign: numbers by value, strings and sequences lexicographically. */
export function compare(left: PyValue, right: PyValue, operator: string): number {
  if (typeof left === 'number' && typeof right === 'number') return left < right ? -1 : left > right ? 1 : 0;
  const a = unwrapLabel(left);
  const b = unwrapLabel(right);
  const x = toNumeric(a);
  const y = toNumeric(b);
  if (x !== undefined && y !== undefined) return compareNumbers(x, y);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const leftItems = sequenceItems(a);
  const rightItems = sequenceItems(b);
  if (leftItems !== undefined && rightItems !== undefined && Array.isArray(a) === Array.isArray(b)) {
    for (let index = 0; index < Math.min(leftItems.length, rightItems.length); index += 1) {
      const itemLeft = leftItems[index] as PyValue;
      const itemRight = rightItems[index] as PyValue;
      if (!equals(itemLeft, itemRight)) return compare(itemLeft, itemRight, operator);
    }
    return leftItems.length - rightItems.length;
  }
  throw new PythonError(
    'TypeError',
    `'${operator}' not supported between instances of '${typeName(left)}' and '${typeName(right)}'`,
  );
}

export function truthy(value: PyValue): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (value === null) return false;
  if (value instanceof PyRational) return value.numerator !== 0;
  if (value instanceof LabeledValue) return truthy(value.value);
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof PyTuple) return value.items.length > 0;
  if (value instanceof PyRange) return value.length > 0;
  return true;
}

export function contains(container: PyValue, item: PyValue): boolean {
  const target = unwrapLabel(container);
  if (typeof target === 'string') {
    if (typeof item !== 'string') throw new PythonError('TypeError', "'in <string>' requires string as left operand");
    return target.includes(item);
  }
  if (target instanceof PyRange) {
    if (!isWholeNumber(item)) return false;
    const value = toInt(item);
    const offset = value - target.start;
    return (
      offset % target.step === 0 && offset / target.step >= 0 && offset / target.step < target.length
    );
  }
  const items = sequenceItems(target);
  if (items === undefined) throw new PythonError('TypeError', `argument of type '${typeName(container)}' is not iterable`);
  return items.some((element) => equals(element, item));
}

// ---------------------------------------------------------------------------------------------
// Sequences

function sequenceItems(value: PyValue): readonly PyValue[] | undefined {
  if (Array.isArray(value)) return value;
  if (value instanceof PyTuple) return value.items;
  if (value instanceof PyRange) return iterate(value);
  return undefined;
}

/** The elements of an iterable (list, tuple, range, string), or a TypeError. */
export function iterate(value: PyValue): PyValue[] {
  const target = unwrapLabel(value);
  if (Array.isArray(target)) return target;
  if (target instanceof PyTuple) return [...target.items];
  if (target instanceof PyRange) {
    const items: number[] = [];
    for (let index = 0; index < target.length; index += 1) items.push(target.at(index));
    return items;
  }
  if (typeof target === 'string') return [...target];
  throw new PythonError('TypeError', `'${typeName(value)}' object is not iterable`);
}

/** Length and random access without building a range. */
export function sequenceLength(value: PyValue): number {
  if (Array.isArray(value)) return value.length;
  if (value instanceof PyTuple) return value.items.length;
  if (value instanceof PyRange) return value.length;
  if (typeof value === 'string') return [...value].length;
  if (value instanceof LabeledValue) return 2;
  throw new PythonError('TypeError', `object of type '${typeName(value)}' has no len()`);
}

export function sequenceAt(value: PyValue, index: number): PyValue {
  if (Array.isArray(value)) return value[index] as PyValue;
  if (value instanceof PyTuple) return value.items[index] as PyValue;
  if (value instanceof PyRange) return value.at(index);
  if (typeof value === 'string') return [...value][index] as string;
  throw new PythonError('TypeError', `'${typeName(value)}' object is not subscriptable`);
}

export function isSequence(value: PyValue): boolean {
  return Array.isArray(value) || value instanceof PyTuple || value instanceof PyRange || typeof value === 'string';
}

/** `value[index]` with Python's negative indices; a labeled value indexes as `(label, value)`. */
export function subscript(value: PyValue, index: PyValue): PyValue {
  const target = value instanceof LabeledValue ? new PyTuple([value.label, value.value]) : value;
  if (!isSequence(target)) throw new PythonError('TypeError', `'${typeName(value)}' object is not subscriptable`);
  if (!isWholeNumber(index) || isFloat(index)) {
    throw new PythonError('TypeError', `indices must be integers, not '${typeName(index)}'`);
  }
  const length = sequenceLength(target);
  let position = toInt(index);
  if (position < 0) position += length;
  if (position < 0 || position >= length) throw new PythonError('IndexError', 'index out of range');
  return sequenceAt(target, position);
}

/** `value[start:stop:step]` with Python's clamping rules. */
export function slice(value: PyValue, start: PyValue, stop: PyValue, step: PyValue): PyValue {
  const target = value instanceof LabeledValue ? new PyTuple([value.label, value.value]) : value;
  if (!isSequence(target)) throw new PythonError('TypeError', `'${typeName(value)}' object is not subscriptable`);
  const length = sequenceLength(target);
  const stride = step === null ? 1 : toInt(step);
  if (stride === 0) throw new PythonError('ValueError', 'slice step cannot be zero');
  const clamp = (bound: PyValue, fallback: number, lowest: number, highest: number): number => {
    if (bound === null) return fallback;
    let position = toInt(bound);
    if (position < 0) position += length;
    return Math.min(Math.max(position, lowest), highest);
  };
  const from = stride > 0 ? clamp(start, 0, 0, length) : clamp(start, length - 1, -1, length - 1);
  const to = stride > 0 ? clamp(stop, length, 0, length) : clamp(stop, -1, -1, length - 1);
  const items: PyValue[] = [];
  for (let position = from; stride > 0 ? position < to : position > to; position += stride) {
    items.push(sequenceAt(target, position));
  }
  if (typeof target === 'string') return items.join('');
  if (target instanceof PyTuple) return new PyTuple(items);
  return items;
}

// ---------------------------------------------------------------------------------------------
// Names and text

export function typeName(value: PyValue): string {
  if (typeof value === 'number') return 'int';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'str';
  if (value === null) return 'NoneType';
  if (value instanceof PyRational) return value.isFraction ? 'Fraction' : 'float';
  if (value instanceof LabeledValue) return `labeled ${typeName(value.value)}`;
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PyRange) return 'range';
  if (value instanceof PyFunction) return 'builtin_function';
  return 'module';
}

/**
 * How many decimal places a rational with this denominator needs, or undefined when it has no
 * finite decimal form (1/3) or needs more than 20 places.
 */
export function decimalPlaces(denominator: number): number | undefined {
  let twos = 0;
  let fives = 0;
  let rest = denominator;
  while (rest % 2 === 0) {
    rest /= 2;
    twos += 1;
  }
  while (rest % 5 === 0) {
    rest /= 5;
    fives += 1;
  }
  const places = Math.max(twos, fives);
  return rest === 1 && places <= 20 ? places : undefined;
}

/** Exact decimal digits of a rational such as 9/4 (`2.25`), or undefined (see decimalPlaces). */
export function exactDecimal(numerator: number, denominator: number): string | undefined {
  const places = decimalPlaces(denominator);
  if (places === undefined) return undefined;
  const scaled = (BigInt(numerator) * 10n ** BigInt(places)) / BigInt(denominator);
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places);
  return `${negative ? '-' : ''}${whole}${places > 0 ? `.${fraction}` : ''}`;
}

/** Python's `str()`: `2.0` for a whole float, `1/3` for a Fraction, `[1, 2]` for a list. */
export function pythonString(value: PyValue): string {
  if (typeof value === 'string') return value;
  return pythonRepr(value);
}

/** Python's `repr()`. */
export function pythonRepr(value: PyValue): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (value === null) return 'None';
  if (value instanceof PyRational) {
    if (value.isFraction) {
      return value.denominator === 1 ? String(value.numerator) : `${value.numerator}/${value.denominator}`;
    }
    if (value.denominator === 1) return `${value.numerator}.0`;
    return exactDecimal(value.numerator, value.denominator) ?? String(value.numerator / value.denominator);
  }
  if (value instanceof LabeledValue) return pythonRepr(new PyTuple([value.label, value.value]));
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (value instanceof PyTuple) {
    return value.items.length === 1 ? `(${pythonRepr(value.items[0] as PyValue)},)` : `(${value.items.map(pythonRepr).join(', ')})`;
  }
  if (value instanceof PyRange) {
    return value.step === 1 ? `range(${value.start}, ${value.stop})` : `range(${value.start}, ${value.stop}, ${value.step})`;
  }
  if (value instanceof PyFunction) return `<built-in function ${value.name}>`;
  return `<module '${value.name}'>`;
}
