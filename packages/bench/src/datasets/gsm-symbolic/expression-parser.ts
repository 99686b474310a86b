/**
 * A recursive-descent parser for the Python expression subset the templates use, with Python's
 * precedence (lowest first): `x if c else y`, `or`, `and`, `not`, comparisons (chained:
 * `a < b < c`), `+ -`, `* / // %`, unary `+ -`, `**` (right-associative, binds tighter than a
 * unary minus on its left), then calls, subscripts, slices and attributes.
 */
import { ExpressionSyntaxError, tokenize, type Token } from './expression-tokenizer.js';

export type ComparisonOperator = '<' | '<=' | '>' | '>=' | '==' | '!=' | 'in' | 'not in' | 'is' | 'is not';
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '//' | '%' | '**';

export type ExpressionNode =
  | { type: 'number'; text: string }
  | { type: 'string'; value: string }
  | { type: 'constant'; value: boolean | null }
  | { type: 'name'; name: string }
  | { type: 'list'; elements: ExpressionNode[] }
  | { type: 'tuple'; elements: ExpressionNode[] }
  | { type: 'unary'; operator: '-' | '+' | 'not'; operand: ExpressionNode }
  | { type: 'binary'; operator: ArithmeticOperator; left: ExpressionNode; right: ExpressionNode }
  | { type: 'logical'; operator: 'and' | 'or'; left: ExpressionNode; right: ExpressionNode }
  | { type: 'compare'; operands: ExpressionNode[]; operators: ComparisonOperator[] }
  | { type: 'conditional'; test: ExpressionNode; body: ExpressionNode; orElse: ExpressionNode }
  | { type: 'call'; callee: ExpressionNode; args: ExpressionNode[]; keywords: { name: string; value: ExpressionNode }[] }
  | { type: 'subscript'; target: ExpressionNode; index: ExpressionNode }
  | {
      type: 'slice';
      target: ExpressionNode;
      start: ExpressionNode | undefined;
      stop: ExpressionNode | undefined;
      step: ExpressionNode | undefined;
    }
  | { type: 'attribute'; target: ExpressionNode; name: string };

const keywords = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else', 'True', 'False', 'None', 'lambda', 'for']);

/** Parses one expression; trailing tokens are an error. */
export function parseExpression(source: string): ExpressionNode {
  const parser = new Parser(source, tokenize(source));
  const node = parser.expression();
  parser.expectEnd();
  return node;
}

class Parser {
  private position = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') this.fail(`unexpected '${token.text}'`, token);
  }

  expression(): ExpressionNode {
    const body = this.orExpression();
    if (this.acceptKeyword('if')) {
      const test = this.orExpression();
      if (!this.acceptKeyword('else')) this.fail("expected 'else'", this.peek());
      const orElse = this.expression();
      return { type: 'conditional', test, body, orElse };
    }
    return body;
  }

  private orExpression(): ExpressionNode {
    let left = this.andExpression();
    while (this.acceptKeyword('or')) left = { type: 'logical', operator: 'or', left, right: this.andExpression() };
    return left;
  }

  private andExpression(): ExpressionNode {
    let left = this.notExpression();
    while (this.acceptKeyword('and')) left = { type: 'logical', operator: 'and', left, right: this.notExpression() };
    return left;
  }

  private notExpression(): ExpressionNode {
    if (this.acceptKeyword('not')) return { type: 'unary', operator: 'not', operand: this.notExpression() };
    return this.comparison();
  }

  private comparison(): ExpressionNode {
    const first = this.arithmetic();
    const operands = [first];
    const operators: ComparisonOperator[] = [];
    for (;;) {
      const operator = this.comparisonOperator();
      if (operator === undefined) break;
      operators.push(operator);
      operands.push(this.arithmetic());
    }
    return operators.length === 0 ? first : { type: 'compare', operands, operators };
  }

  private comparisonOperator(): ComparisonOperator | undefined {
    const token = this.peek();
    if (token.kind === 'operator' && ['<', '<=', '>', '>=', '==', '!='].includes(token.text)) {
      this.position += 1;
      return token.text as ComparisonOperator;
    }
    if (this.isKeyword(token, 'in')) {
      this.position += 1;
      return 'in';
    }
    if (this.isKeyword(token, 'not') && this.isKeyword(this.peek(1), 'in')) {
      this.position += 2;
      return 'not in';
    }
    if (this.isKeyword(token, 'is')) {
      this.position += 1;
      return this.acceptKeyword('not') ? 'is not' : 'is';
    }
    return undefined;
  }

  private arithmetic(): ExpressionNode {
    let left = this.term();
    for (;;) {
      const operator = this.acceptOperator('+', '-');
      if (operator === undefined) return left;
      left = { type: 'binary', operator: operator as ArithmeticOperator, left, right: this.term() };
    }
  }

  private term(): ExpressionNode {
    let left = this.factor();
    for (;;) {
      const operator = this.acceptOperator('*', '/', '//', '%');
      if (operator === undefined) return left;
      left = { type: 'binary', operator: operator as ArithmeticOperator, left, right: this.factor() };
    }
  }

  private factor(): ExpressionNode {
    const operator = this.acceptOperator('-', '+');
    if (operator !== undefined) return { type: 'unary', operator: operator as '-' | '+', operand: this.factor() };
    return this.power();
  }

  private power(): ExpressionNode {
    const base = this.postfix();
    if (this.acceptOperator('**') !== undefined) {
      // Right-associative, and `2 ** -1` is allowed: the exponent is a full factor.
      return { type: 'binary', operator: '**', left: base, right: this.factor() };
    }
    return base;
  }

  private postfix(): ExpressionNode {
    let node = this.atom();
    for (;;) {
      if (this.acceptOperator('(') !== undefined) {
        node = this.callArguments(node);
      } else if (this.acceptOperator('[') !== undefined) {
        node = this.subscriptOrSlice(node);
      } else if (this.acceptOperator('.') !== undefined) {
        const name = this.peek();
        if (name.kind !== 'name') this.fail('expected an attribute name', name);
        this.position += 1;
        node = { type: 'attribute', target: node, name: name.text };
      } else {
        return node;
      }
    }
  }

  private callArguments(callee: ExpressionNode): ExpressionNode {
    const args: ExpressionNode[] = [];
    const keywordArguments: { name: string; value: ExpressionNode }[] = [];
    while (this.acceptOperator(')') === undefined) {
      const token = this.peek();
      const next = this.peek(1);
      if (token.kind === 'name' && next.kind === 'operator' && next.text === '=') {
        this.position += 2;
        keywordArguments.push({ name: token.text, value: this.expression() });
      } else {
        if (keywordArguments.length > 0) this.fail('positional argument follows keyword argument', token);
        args.push(this.expression());
      }
      if (this.acceptOperator(',') === undefined) {
        this.expectOperator(')');
        break;
      }
    }
    return { type: 'call', callee, args, keywords: keywordArguments };
  }

  private subscriptOrSlice(target: ExpressionNode): ExpressionNode {
    const start = this.isOperator(this.peek(), ':') ? undefined : this.expression();
    if (this.acceptOperator(':') === undefined) {
      this.expectOperator(']');
      return { type: 'subscript', target, index: start as ExpressionNode };
    }
    const stop = this.isOperator(this.peek(), ':') || this.isOperator(this.peek(), ']') ? undefined : this.expression();
    let step: ExpressionNode | undefined;
    if (this.acceptOperator(':') !== undefined && !this.isOperator(this.peek(), ']')) step = this.expression();
    this.expectOperator(']');
    return { type: 'slice', target, start, stop, step };
  }

  private atom(): ExpressionNode {
    const token = this.peek();
    if (token.kind === 'number') {
      this.position += 1;
      return { type: 'number', text: token.text };
    }
    if (token.kind === 'string') {
      // Adjacent literals concatenate, as in Python.
      let value = '';
      while (this.peek().kind === 'string') {
        value += this.peek().text;
        this.position += 1;
      }
      return { type: 'string', value };
    }
    if (token.kind === 'name') {
      if (token.text === 'True' || token.text === 'False' || token.text === 'None') {
        this.position += 1;
        return { type: 'constant', value: token.text === 'None' ? null : token.text === 'True' };
      }
      if (keywords.has(token.text)) this.fail(`unexpected keyword '${token.text}'`, token);
      this.position += 1;
      return { type: 'name', name: token.text };
    }
    if (this.acceptOperator('(') !== undefined) {
      if (this.acceptOperator(')') !== undefined) return { type: 'tuple', elements: [] };
      const first = this.expression();
      if (this.acceptOperator(')') !== undefined) return first;
      const elements = [first];
      while (this.acceptOperator(',') !== undefined) {
        if (this.isOperator(this.peek(), ')')) break;
        elements.push(this.expression());
      }
      this.expectOperator(')');
      return { type: 'tuple', elements };
    }
    if (this.acceptOperator('[') !== undefined) {
      const elements: ExpressionNode[] = [];
      while (this.acceptOperator(']') === undefined) {
        elements.push(this.expression());
        if (this.acceptOperator(',') === undefined) {
          this.expectOperator(']');
          break;
        }
      }
      return { type: 'list', elements };
    }
    return this.fail(token.kind === 'end' ? 'unexpected end of expression' : `unexpected '${token.text}'`, token);
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.position + ahead, this.tokens.length - 1)] as Token;
  }

  private isOperator(token: Token, text: string): boolean {
    return token.kind === 'operator' && token.text === text;
  }

  private isKeyword(token: Token, word: string): boolean {
    return token.kind === 'name' && token.text === word;
  }

  private acceptKeyword(word: string): boolean {
    if (!this.isKeyword(this.peek(), word)) return false;
    this.position += 1;
    return true;
  }

  private acceptOperator(...candidates: string[]): string | undefined {
    const token = this.peek();
    if (token.kind !== 'operator' || !candidates.includes(token.text)) return undefined;
    this.position += 1;
    return token.text;
  }

  private expectOperator(text: string): void {
    if (this.acceptOperator(text) === undefined) this.fail(`expected '${text}'`, this.peek());
  }

  private fail(message: string, token: Token): never {
    throw new ExpressionSyntaxError(message, this.source, token.offset);
  }
}

/** Every name the expression reads (not attribute names), for dependency ordering. */
export function freeNames(node: ExpressionNode, into: Set<string> = new Set()): Set<string> {
  switch (node.type) {
    case 'name':
      into.add(node.name);
      break;
    case 'list':
    case 'tuple':
      for (const element of node.elements) freeNames(element, into);
      break;
    case 'unary':
      freeNames(node.operand, into);
      break;
    case 'binary':
    case 'logical':
      freeNames(node.left, into);
      freeNames(node.right, into);
      break;
    case 'compare':
      for (const operand of node.operands) freeNames(operand, into);
      break;
    case 'conditional':
      freeNames(node.test, into);
      freeNames(node.body, into);
      freeNames(node.orElse, into);
      break;
    case 'call':
      freeNames(node.callee, into);
      for (const argument of node.args) freeNames(argument, into);
      for (const keyword of node.keywords) freeNames(keyword.value, into);
      break;
    case 'subscript':
      freeNames(node.target, into);
      freeNames(node.index, into);
      break;
    case 'slice':
      freeNames(node.target, into);
      for (const part of [node.start, node.stop, node.step]) if (part !== undefined) freeNames(part, into);
      break;
    case 'attribute':
      freeNames(node.target, into);
      break;
    default:
      break;
  }
  return into;
}
