/**
 * A check of the inferred semantics against the templates themselves: each placeholder's default
 * is the original GSM8K value, so plugging the defaults in as bindings should satisfy the
 * conditions and give the GSM8K answer (`#### N` in the template file). It can do so only for the
 * `symbolic` templates (P1 and P2 add clauses, which change the answer) and only where the author
 * kept the original values inside the sampled ranges; the README reports how many pass.
 *
 * A variable the question never shows (`ans` in "x + y + ans == total") has no default: it is
 * searched over its `#init` choices, and the check passes if some choice satisfies everything.
 */
import { compileExpression, type Scope } from './expression-evaluator.js';
import type { ExpressionNode } from './expression-parser.js';
import { fractionWordsToRatio, multiplierWordsToNumber, wordsToNumber } from './number-words.js';
import {
  LabeledValue,
  PyRange,
  PyTuple,
  PythonError,
  floatFromLiteral,
  isNumeric,
  iterate,
  makeFloat,
  toDouble,
  truthy,
  unwrapLabel,
  type PyValue,
} from './python-values.js';
import type { AssignmentTarget, GsmSymbolicTemplate, TemplateAssignment } from './template-parser.js';
import { asLabeled, createScope } from './template-runtime.js';
import { vocabularies } from './vocabularies.js';

export interface DefaultValuesCheck {
  template: string;
  /** The GSM8K answer from the template file, if it has one. */
  originalAnswer: number | undefined;
  /** Some choice of the hidden variables satisfies every condition with the defaults. */
  conditionsHold: boolean;
  /** ...and gives the original answer. The strict check. */
  answerMatches: boolean;
  /** Some choice gives the original answer, whether or not the conditions hold. */
  answerMatchesIgnoringConditions: boolean;
  /** The answer computed from the defaults (the first satisfying choice, else the first choice). */
  computedAnswer: number | undefined;
  /** Conditions that fail for the defaults (with the first choice of hidden variables). */
  failedConditions: string[];
  /** Placeholders whose default could not be read as a value. */
  unreadableDefaults: string[];
  /** Why the check could not run, if it could not. */
  error?: string;
}

const maximumCombinations = 2_000_000;

export function checkDefaultValues(template: GsmSymbolicTemplate): DefaultValuesCheck {
  const result: DefaultValuesCheck = {
    template: template.id,
    originalAnswer: template.originalAnswer,
    conditionsHold: false,
    answerMatches: false,
    answerMatchesIgnoringConditions: false,
    computedAnswer: undefined,
    failedConditions: [],
    unreadableDefaults: [],
  };
  const scope = createScope(undefined);
  const labels = knownLabels(template);
  const lastAssignment = new Map<string, { assignment: TemplateAssignment; target: AssignmentTarget }>();
  for (const assignment of template.assignments) {
    for (const target of assignment.targets) lastAssignment.set(target.name, { assignment, target });
  }

  const shown = new Set<string>();
  for (const placeholder of template.placeholders) {
    if (shown.has(placeholder.variable)) continue;
    shown.add(placeholder.variable);
    const target = lastAssignment.get(placeholder.variable)?.target as AssignmentTarget;
    const value = readDefault(placeholder.defaultText, target.drawsFromList, labels);
    if (value === undefined) {
      result.unreadableDefaults.push(`${placeholder.variable}=${placeholder.defaultText}`);
      continue;
    }
    scope.variables.set(placeholder.variable, value);
  }
  if (result.unreadableDefaults.length > 0) {
    result.error = 'some defaults could not be read as values';
    return result;
  }

  // Hidden variables the conditions or the answer read: search their choices.
  const read = new Set([...template.conditions.flatMap((condition) => [...condition.names]), ...template.answer.names]);
  const hidden: { name: string; choices: PyValue[] }[] = [];
  try {
    for (const [name, { assignment, target }] of lastAssignment) {
      if (shown.has(name) || !read.has(name)) continue;
      if (assignment.targets.length !== 1) throw new Error(`hidden variable ${name} comes from a tuple assignment`);
      hidden.push({ name, choices: choicesOf(assignment, target, scope) });
    }
  } catch (error) {
    result.error = (error as Error).message;
    return result;
  }
  const combinations = hidden.reduce((product, variable) => product * variable.choices.length, 1);
  if (combinations > maximumCombinations) {
    result.error = `${combinations} choices of hidden variables: too many to search`;
    return result;
  }

  const matches = (answer: number | undefined): boolean =>
    answer !== undefined &&
    template.originalAnswer !== undefined &&
    Math.abs(answer - template.originalAnswer) <= 1e-6 * Math.max(1, Math.abs(template.originalAnswer));

  for (let combination = 0; combination < combinations; combination += 1) {
    let rest = combination;
    for (const variable of hidden) {
      scope.variables.set(variable.name, variable.choices[rest % variable.choices.length] as PyValue);
      rest = Math.floor(rest / variable.choices.length);
    }
    let failed;
    let answer;
    try {
      failed = template.conditions.filter((condition) => !holds(() => condition.evaluate(scope)));
      answer = answerOf(() => template.answer.evaluate(scope));
    } catch (error) {
      if (!(error instanceof PythonError)) throw error;
      result.error = error.message;
      return result;
    }
    if (combination === 0) {
      result.failedConditions = failed.map((condition) => condition.source);
      result.computedAnswer = answer;
    }
    if (matches(answer)) result.answerMatchesIgnoringConditions = true;
    if (failed.length === 0) {
      if (!result.conditionsHold) {
        result.conditionsHold = true;
        result.failedConditions = [];
        result.computedAnswer = answer;
      }
      if (matches(answer)) {
        result.answerMatches = true;
        result.computedAnswer = answer;
        break;
      }
    }
  }
  return result;
}

// A division by zero makes a condition false (as in sampling); any other Python error is raised.
function holds(evaluate: () => PyValue): boolean {
  try {
    return truthy(evaluate());
  } catch (error) {
    if (error instanceof PythonError && error.kind === 'ZeroDivisionError') return false;
    throw error;
  }
}

function answerOf(evaluate: () => PyValue): number | undefined {
  try {
    const value = unwrapLabel(evaluate());
    return isNumeric(value) ? toDouble(value) : undefined;
  } catch (error) {
    if (error instanceof PythonError && error.kind === 'ZeroDivisionError') return undefined;
    throw error;
  }
}

/** The values an `#init` item can take: `sample(xs)` and `$x = xs` range over xs. */
function choicesOf(assignment: TemplateAssignment, target: AssignmentTarget, scope: Scope): PyValue[] {
  const node = assignment.expression.node;
  let value: PyValue;
  try {
    if (node.type === 'call' && node.callee.type === 'name' && node.callee.name === 'sample' && node.args.length === 1) {
      // The population of `sample(...)`, compiled on its own (once per check, so no caching needed).
      const population = compileExpression(node.args[0] as ExpressionNode)(scope);
      return iterate(population).map(asLabeled);
    }
    value = assignment.expression.evaluate(scope);
  } catch (error) {
    throw new Error(`cannot list the choices of ${target.name}: ${(error as Error).message}`);
  }
  if (target.drawsFromList && (Array.isArray(value) || value instanceof PyRange)) return iterate(value).map(asLabeled);
  return [asLabeled(value)];
}

/**
 * Reads a default as a value: numbers and `a/b` as numbers; for a `$` variable, a word through
 * the template's own `(label, value)` pairs, the vocabularies, then English fraction, multiplier
 * and number words ("a third", "twice", "forty-two"). Other variables keep the text.
 */
export function readDefault(text: string, numeric: boolean, labels: ReadonlyMap<string, PyValue>): PyValue | undefined {
  if (/^-?\d+$/.test(text)) return Number.parseInt(text, 10);
  if (/^\d*\.\d+$/.test(text)) return floatFromLiteral(text);
  const ratio = /^(\d+)\s*\/\s*(\d+)$/.exec(text);
  if (ratio !== null) return new LabeledValue(text, makeFloat(Number(ratio[1]), Number(ratio[2])));
  if (!numeric) return text;
  const key = text.trim().toLowerCase();
  const known = labels.get(key);
  if (known !== undefined) return new LabeledValue(text, known);
  const fraction = fractionWordsToRatio(key);
  if (fraction !== undefined) return new LabeledValue(text, makeFloat(fraction[0], fraction[1]));
  const multiplier = multiplierWordsToNumber(key);
  if (multiplier !== undefined) return new LabeledValue(text, multiplier);
  const number = wordsToNumber(key);
  if (number !== undefined) return new LabeledValue(text, number);
  return undefined;
}

/** Labels of `(label, value)` pairs: the template's own literals, then every vocabulary's. */
function knownLabels(template: GsmSymbolicTemplate): Map<string, PyValue> {
  const labels = new Map<string, PyValue>();
  const visit = (node: ExpressionNode): void => {
    if (node.type === 'tuple' && node.elements.length === 2) {
      const [label, value] = node.elements as [ExpressionNode, ExpressionNode];
      if (label.type === 'string' && value.type === 'number') {
        labels.set(label.value.toLowerCase(), /^\d+$/.test(value.text) ? Number(value.text) : floatFromLiteral(value.text));
      }
    }
    for (const child of Object.values(node)) {
      if (Array.isArray(child)) for (const item of child) if (isNode(item)) visit(item);
      if (isNode(child)) visit(child);
    }
  };
  for (const assignment of template.assignments) visit(assignment.expression.node);
  for (const values of vocabularies.values()) {
    for (const entry of values) {
      if (entry instanceof PyTuple && typeof entry.items[0] === 'string' && !labels.has(entry.items[0].toLowerCase())) {
        labels.set(entry.items[0].toLowerCase(), entry.items[1] as PyValue);
      }
    }
  }
  return labels;
}

function isNode(value: unknown): value is ExpressionNode {
  return typeof value === 'object' && value !== null && 'type' in value && typeof (value as { type: unknown }).type === 'string';
}
