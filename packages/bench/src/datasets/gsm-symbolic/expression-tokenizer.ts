/**
 * Tokens of the templates' Python-like expressions: names (a leading `$`, the templates' mark for a
 * sampled number, is dropped), numbers, quoted strings, operators and brackets. No `#` comments:
 * in a template `#` starts a section header, which the template parser removes first.
 */

export type TokenKind = 'name' | 'number' | 'string' | 'operator' | 'end';

export interface Token {
  kind: TokenKind;
  /** The name, the number's source digits, the string's decoded value, or the operator. */
  text: string;
  /** Offset in the source, for error messages. */
  offset: number;
}

export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly source: string,
    readonly offset: number,
  ) {
    super(`${message} at column ${offset + 1} of: ${source}`);
    this.name = 'ExpressionSyntaxError';
  }
}

// Longest first, so that `**` is not read as two `*`.
const operators = [
  '**', '//', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%',
  '(', ')', '[', ']', '{', '}', ',', ':', '.', '=',
];

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < source.length) {
    const character = source[position] as string;
    if (/\s/.test(character)) {
      position += 1;
      continue;
    }
    const start = position;
    if (character === '$' || /[A-Za-z_]/.test(character)) {
      if (character === '$') position += 1;
      const nameMatch = /^[A-Za-z_][A-Za-z_0-9]*/.exec(source.slice(position));
      if (nameMatch === null) throw new ExpressionSyntaxError("'$' must be followed by a name", source, start);
      tokens.push({ kind: 'name', text: nameMatch[0], offset: start });
      position += nameMatch[0].length;
      continue;
    }
    const numberMatch = /^(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(source.slice(position));
    if (numberMatch !== null) {
      tokens.push({ kind: 'number', text: numberMatch[0], offset: start });
      position += numberMatch[0].length;
      continue;
    }
    if (character === '"' || character === "'") {
      const [value, end] = readString(source, position);
      tokens.push({ kind: 'string', text: value, offset: start });
      position = end;
      continue;
    }
    const operator = operators.find((candidate) => source.startsWith(candidate, position));
    if (operator === undefined) throw new ExpressionSyntaxError(`unexpected character '${character}'`, source, start);
    tokens.push({ kind: 'operator', text: operator, offset: start });
    position += operator.length;
  }
  tokens.push({ kind: 'end', text: '', offset: source.length });
  return tokens;
}

const escapes: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', "'": "'", '"': '"' };

function readString(source: string, start: number): [string, number] {
  const quote = source[start] as string;
  let value = '';
  let position = start + 1;
  while (position < source.length) {
    const character = source[position] as string;
    if (character === quote) return [value, position + 1];
    if (character === '\\') {
      const next = source[position + 1];
      value += next !== undefined && next in escapes ? (escapes[next] as string) : `\\${next ?? ''}`;
      position += 2;
      continue;
    }
    value += character;
    position += 1;
  }
  throw new ExpressionSyntaxError('unterminated string', source, start);
}
