/**
 * One-call evaluation of a template-language expression over bindings, for tests and for checking
 * expressions written against an instance (e.g. verified multi-query questions).
 */
import { Scope, compileExpression } from './expression-evaluator.js';
import { parseExpression } from './expression-parser.js';
import { toDouble, isNumeric, unwrapLabel, type PyValue } from './python-values.js';
import { createGlobals, fromBindings, toBindingValue, type GsmBindingValue } from './template-runtime.js';

export interface EvaluatePythonResult {
  /** The value as Python sees it (exact rationals, labeled values...). */
  value: PyValue;
  /** The value as JSON (numbers as numbers, lists as arrays). */
  json: GsmBindingValue;
  /** The value as a JS number, when it is a number (or bool). */
  number: number | undefined;
}

/**
 * Evaluates `source` (e.g. `int(n * frac) + 1`, `a < b < c`) with the given bindings, labels (see
 * `GsmSymbolicInstance.labels`), the vocabularies and the deterministic built-ins. Functions that
 * draw at random raise. Python errors are thrown as `PythonError` (`ZeroDivisionError`, ...).
 */
export function evaluatePython(
  source: string,
  bindings: Readonly<Record<string, GsmBindingValue>> = {},
  labels: Readonly<Record<string, string>> = {},
): EvaluatePythonResult {
  const scope = new Scope(fromBindings(bindings, labels), createGlobals(undefined));
  const value = compileExpression(parseExpression(source))(scope);
  const plain = unwrapLabel(value);
  return {
    value,
    json: toBindingValue(value),
    number: isNumeric(plain) ? toDouble(plain) : undefined,
  };
}
