/**
 * Evaluates parsed expressions without `eval`: each node is compiled once into a closure, so a
 * template's conditions can be re-checked thousands of times during rejection sampling cheaply.
 */
import type { ArithmeticOperator, ExpressionNode } from './expression-parser.js';
import {
  LabeledValue,
  PyFunction,
  PyModule,
  PythonError,
  PyTuple,
  add,
  compare,
  contains,
  divide,
  equals,
  floatFromLiteral,
  floorDivide,
  modulo,
  multiply,
  negate,
  positive,
  power,
  slice,
  subscript,
  subtract,
  truthy,
  typeName,
  type PyValue,
} from './python-values.js';

/** Where names resolve: the template's variables first, then vocabularies and built-ins. */
export class Scope {
  constructor(
    readonly variables: Map<string, PyValue>,
    private readonly globals: ReadonlyMap<string, PyValue>,
  ) {}

  lookup(name: string): PyValue {
    const local = this.variables.get(name);
    if (local !== undefined) return local;
    const global = this.globals.get(name);
    if (global !== undefined) return global;
    throw new PythonError('NameError', `name '${name}' is not defined`);
  }
}

export type CompiledExpression = (scope: Scope) => PyValue;

/**
 * Compiles `node`. With `pureNames` (globals that are fixed values or deterministic functions,
 * minus any name the template assigns), a subexpression built only from them, such as
 * `list(np.arange(0.21, 1, 0.01))`, is evaluated once and reused: rejection sampling re-runs
 * `#init` thousands of times and would otherwise rebuild such lists on every attempt. Values are
 * never mutated in place, so sharing them is safe.
 */
export function compileExpression(node: ExpressionNode, pureNames?: ReadonlySet<string>): CompiledExpression {
  if (pureNames !== undefined && isPure(node, pureNames) && node.type !== 'number' && node.type !== 'string' && node.type !== 'constant') {
    const evaluate = compileNode(node, undefined);
    let cached: PyValue | undefined;
    return (scope) => {
      if (cached === undefined) cached = evaluate(scope);
      return cached;
    };
  }
  return compileNode(node, pureNames);
}

function isPure(node: ExpressionNode, pureNames: ReadonlySet<string>): boolean {
  switch (node.type) {
    case 'number':
    case 'string':
    case 'constant':
      return true;
    case 'name':
      return pureNames.has(node.name);
    case 'attribute':
      return pureNames.has(describeCallee(node));
    case 'list':
    case 'tuple':
      return node.elements.every((element) => isPure(element, pureNames));
    case 'unary':
      return isPure(node.operand, pureNames);
    case 'binary':
    case 'logical':
      return isPure(node.left, pureNames) && isPure(node.right, pureNames);
    case 'compare':
      return node.operands.every((operand) => isPure(operand, pureNames));
    case 'conditional':
      return isPure(node.test, pureNames) && isPure(node.body, pureNames) && isPure(node.orElse, pureNames);
    case 'call':
      return (
        pureNames.has(describeCallee(node.callee)) &&
        node.args.every((argument) => isPure(argument, pureNames)) &&
        node.keywords.every((keyword) => isPure(keyword.value, pureNames))
      );
    case 'subscript':
      return isPure(node.target, pureNames) && isPure(node.index, pureNames);
    case 'slice':
      return [node.target, node.start, node.stop, node.step].every((part) => part === undefined || isPure(part, pureNames));
    default:
      return false;
  }
}

const noKeywords: ReadonlyMap<string, PyValue> = new Map();

function compileNode(node: ExpressionNode, pureNames: ReadonlySet<string> | undefined): CompiledExpression {
  const compile = (child: ExpressionNode): CompiledExpression => compileExpression(child, pureNames);
  switch (node.type) {
    case 'number': {
      const value: PyValue = /^\d+$/.test(node.text) ? Number.parseInt(node.text, 10) : floatFromLiteral(node.text);
      return () => value;
    }
    case 'string': {
      const value = node.value;
      return () => value;
    }
    case 'constant': {
      const value = node.value;
      return () => value;
    }
    case 'name': {
      const name = node.name;
      return (scope) => scope.lookup(name);
    }
    case 'list': {
      const elements = node.elements.map(compile);
      return (scope) => elements.map((element) => element(scope));
    }
    case 'tuple': {
      const elements = node.elements.map(compile);
      return (scope) => new PyTuple(elements.map((element) => element(scope)));
    }
    case 'unary': {
      const operand = compile(node.operand);
      if (node.operator === 'not') return (scope) => !truthy(operand(scope));
      if (node.operator === '-') return (scope) => negate(operand(scope));
      return (scope) => positive(operand(scope));
    }
    case 'binary': {
      const left = compile(node.left);
      const right = compile(node.right);
      const operation = arithmetic[node.operator];
      return (scope) => operation(left(scope), right(scope));
    }
    case 'logical': {
      const left = compile(node.left);
      const right = compile(node.right);
      // Python's `and`/`or` return an operand, not a bool.
      if (node.operator === 'and') {
        return (scope) => {
          const value = left(scope);
          return truthy(value) ? right(scope) : value;
        };
      }
      return (scope) => {
        const value = left(scope);
        return truthy(value) ? value : right(scope);
      };
    }
    case 'compare': {
      const operands = node.operands.map(compile);
      const operators = node.operators;
      // `a < b < c` is `a < b and b < c`, with `b` evaluated once.
      return (scope) => {
        let left = (operands[0] as CompiledExpression)(scope);
        for (let index = 0; index < operators.length; index += 1) {
          const right = (operands[index + 1] as CompiledExpression)(scope);
          if (!compareOnce(operators[index] as string, left, right)) return false;
          left = right;
        }
        return true;
      };
    }
    case 'conditional': {
      const test = compile(node.test);
      const body = compile(node.body);
      const orElse = compile(node.orElse);
      return (scope) => (truthy(test(scope)) ? body(scope) : orElse(scope));
    }
    case 'call': {
      const callee = compile(node.callee);
      const args = node.args.map(compile);
      const keywordArguments = node.keywords.map((keyword) => ({ name: keyword.name, value: compile(keyword.value) }));
      const calleeText = describeCallee(node.callee);
      return (scope) => {
        const target = callee(scope);
        if (!(target instanceof PyFunction)) {
          throw new PythonError('TypeError', `'${typeName(target)}' object is not callable (${calleeText})`);
        }
        let keywords = noKeywords;
        if (keywordArguments.length > 0) {
          const given = new Map<string, PyValue>();
          for (const keyword of keywordArguments) given.set(keyword.name, keyword.value(scope));
          keywords = given;
        }
        return target.invoke(
          args.map((argument) => argument(scope)),
          keywords,
        );
      };
    }
    case 'subscript': {
      const target = compile(node.target);
      const index = compile(node.index);
      return (scope) => subscript(target(scope), index(scope));
    }
    case 'slice': {
      const target = compile(node.target);
      const none = () => null;
      const start = node.start === undefined ? none : compile(node.start);
      const stop = node.stop === undefined ? none : compile(node.stop);
      const step = node.step === undefined ? none : compile(node.step);
      return (scope) => slice(target(scope), start(scope), stop(scope), step(scope));
    }
    case 'attribute': {
      const target = compile(node.target);
      const name = node.name;
      return (scope) => {
        const value = target(scope);
        const member = value instanceof PyModule ? value.members.get(name) : undefined;
        if (member === undefined) {
          throw new PythonError('AttributeError', `'${typeName(value)}' object has no attribute '${name}'`);
        }
        return member;
      };
    }
    default: {
      const unknown: never = node;
      throw new Error(`internal: unknown node ${JSON.stringify(unknown)}`);
    }
  }
}

const arithmetic: Record<ArithmeticOperator, (left: PyValue, right: PyValue) => PyValue> = {
  '+': add,
  '-': subtract,
  '*': multiply,
  '/': divide,
  '//': floorDivide,
  '%': modulo,
  '**': power,
};

function compareOnce(operator: string, left: PyValue, right: PyValue): boolean {
  switch (operator) {
    case '==':
      return equals(left, right);
    case '!=':
      return !equals(left, right);
    case '<':
      return compare(left, right, operator) < 0;
    case '<=':
      return compare(left, right, operator) <= 0;
    case '>':
      return compare(left, right, operator) > 0;
    case '>=':
      return compare(left, right, operator) >= 0;
    case 'in':
      return contains(right, left);
    case 'not in':
      return !contains(right, left);
    case 'is':
      return identical(left, right);
    case 'is not':
      return !identical(left, right);
    default:
      throw new Error(`internal: unknown comparison ${operator}`);
  }
}

// `x is None`, `x is True`: identity only makes sense for these singletons here.
function identical(left: PyValue, right: PyValue): boolean {
  const a = left instanceof LabeledValue ? left.value : left;
  const b = right instanceof LabeledValue ? right.value : right;
  return a === b;
}

function describeCallee(node: ExpressionNode): string {
  if (node.type === 'name') return node.name;
  if (node.type === 'attribute') return `${describeCallee(node.target)}.${node.name}`;
  return 'expression';
}
