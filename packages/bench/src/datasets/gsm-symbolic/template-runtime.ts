/**
 * What generating and checking share: the globals a template sees, binding assigned values to
 * variables (`$x = range(...)` draws one element, `("twice", 2)` becomes a labeled value), and
 * converting values to JSON bindings and back.
 */
import { createBuiltins } from './builtin-functions.js';
import { Scope } from './expression-evaluator.js';
import {
  LabeledValue,
  PyRange,
  PyRational,
  PyTuple,
  PythonError,
  approximateRational,
  iterate,
  isNumeric,
  makeFloat,
  sequenceAt,
  toDouble,
  typeName,
  type PyValue,
} from './python-values.js';
import { displayValue } from './question-renderer.js';
import type { RandomSource } from './seeded-random.js';
import type { AssignmentTarget } from './template-parser.js';
import { vocabularies } from './vocabularies.js';

/** A binding as written to JSON: numbers as numbers, words as strings, lists as arrays. */
export type GsmBindingValue = number | string | GsmBindingValue[];

/** Vocabularies and built-ins; sampling functions use `random` (absent: they raise). */
export function createGlobals(random: RandomSource | undefined): Map<string, PyValue> {
  const globals = createBuiltins(random);
  for (const [name, values] of vocabularies) globals.set(name, values);
  return globals;
}

export function createScope(random: RandomSource | undefined): Scope {
  return new Scope(new Map(), createGlobals(random));
}

/**
 * Binds the value of one `#init` item. A `$` target given a list (or range) draws one element; a
 * `(label, number)` pair becomes a labeled value; several targets unpack a sequence.
 */
export function bindAssignment(
  scope: Scope,
  targets: readonly AssignmentTarget[],
  value: PyValue,
  random: RandomSource | undefined,
): void {
  if (targets.length === 1) {
    const target = targets[0] as AssignmentTarget;
    scope.variables.set(target.name, settle(target, value, random));
    return;
  }
  if (!Array.isArray(value) && !(value instanceof PyTuple)) {
    throw new PythonError('TypeError', `cannot unpack non-sequence '${typeName(value)}' into ${targets.length} names`);
  }
  const items = iterate(value);
  if (items.length !== targets.length) {
    throw new PythonError('ValueError', `expected ${targets.length} values to unpack, got ${items.length}`);
  }
  targets.forEach((target, index) => scope.variables.set(target.name, settle(target, items[index] as PyValue, random)));
}

function settle(target: AssignmentTarget, value: PyValue, random: RandomSource | undefined): PyValue {
  let settled = value;
  if (target.drawsFromList && (Array.isArray(settled) || settled instanceof PyRange)) {
    const length = Array.isArray(settled) ? settled.length : settled.length;
    if (length === 0) throw new PythonError('IndexError', `nothing to draw for $${target.name}: the list is empty`);
    if (random === undefined) throw new PythonError('ValueError', `$${target.name} draws at random; not available here`);
    settled = sequenceAt(settled, random.nextIndex(length));
  }
  return asLabeled(settled);
}

/** `("twice", 2)` or `(20, 20)` becomes a value labeled "twice" or "20"; anything else stays. */
export function asLabeled(value: PyValue): PyValue {
  if (!(value instanceof PyTuple) || value.items.length !== 2) return value;
  const [label, number] = value.items as [PyValue, PyValue];
  if (!isNumeric(number) || (typeof label !== 'string' && !isNumeric(label))) return value;
  return new LabeledValue(typeof label === 'string' ? label : displayValue(label, false), number);
}

/** A value as JSON: numbers (labeled ones by their number), strings, arrays. */
export function toBindingValue(value: PyValue): GsmBindingValue {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof LabeledValue) return toBindingValue(value.value);
  if (value instanceof PyRational) return toDouble(value);
  if (Array.isArray(value) || value instanceof PyTuple || value instanceof PyRange) return iterate(value).map(toBindingValue);
  throw new PythonError('TypeError', `a '${typeName(value)}' value cannot be written as a binding`);
}

/**
 * The inverse of {@link toBindingValue} for re-evaluating expressions on an instance's bindings:
 * whole numbers become ints, other numbers the simplest rational within 1e-15 (0.333... is 1/3
 * again), arrays lists, and variables listed in `labels` labeled values.
 */
export function fromBindings(
  bindings: Readonly<Record<string, GsmBindingValue>>,
  labels: Readonly<Record<string, string>> = {},
): Map<string, PyValue> {
  const variables = new Map<string, PyValue>();
  for (const [name, binding] of Object.entries(bindings)) {
    const value = fromBindingValue(binding);
    const label = labels[name];
    variables.set(name, label === undefined ? value : new LabeledValue(label, value));
  }
  return variables;
}

function fromBindingValue(binding: GsmBindingValue): PyValue {
  if (typeof binding === 'string') return binding;
  if (Array.isArray(binding)) return binding.map(fromBindingValue);
  if (Number.isInteger(binding)) return binding;
  const [numerator, denominator] = approximateRational(binding, 1_000_000_000);
  return makeFloat(numerator, denominator);
}
