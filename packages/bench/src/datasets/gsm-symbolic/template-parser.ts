/**
 * Reads one GSM-Symbolic template file. Its `question_annotated` field holds:
 *
 *     {name,Benny} saw a {x,10}-foot {fish,shark}...        <- text with {variable,default}
 *     #init:
 *     - name = sample(names)                                <- a value
 *     - $x = range(30, 90)                                  <- `$`: draw one element of the list
 *     - h_1, h_3 = sample(['read', 'paint', 'hike'], 2)     <- tuple assignment
 *     #conditions:                                          <- optional
 *     - k * y < x * 12
 *     #answer: int(((k - k*frac) * y) / (x * 12) * 100)      <- also written `#answer = ...`
 *
 * Checked on all 250 templates: every placeholder has exactly one comma (defaults never contain
 * one), every placeholder variable is assigned in `#init`, and each item sits on one line. Three
 * answers are wrapped in braces (`{t + k / ...}`, a one-element set in Python): the braces are
 * dropped. The `$` before a name inside an expression (`#answer: $ans`) is ignored.
 */
import { userError, type SleeptimeError } from '@sleeptime/core';
import { extractGsmAnswerFromReference } from '../grading.js';
import { deterministicFunctionNames } from './builtin-functions.js';
import { compileExpression, type CompiledExpression } from './expression-evaluator.js';
import { freeNames, parseExpression, type ExpressionNode } from './expression-parser.js';
import { ExpressionSyntaxError, tokenize } from './expression-tokenizer.js';
import { vocabularies } from './vocabularies.js';

export type GsmSymbolicVariant = 'p1' | 'p2' | 'symbolic';

export const gsmSymbolicVariants: readonly GsmSymbolicVariant[] = ['symbolic', 'p1', 'p2'];

export interface TemplatePlaceholder {
  variable: string;
  /** The default as written, trimmed: the original GSM8K value ("half", "10", "Benny"). */
  defaultText: string;
  /** Offsets of the whole `{variable,default}` in `text`. */
  start: number;
  end: number;
}

export interface TemplateExpression {
  source: string;
  node: ExpressionNode;
  evaluate: CompiledExpression;
  /** Names the expression reads (variables, vocabularies, functions). */
  names: ReadonlySet<string>;
}

export interface AssignmentTarget {
  name: string;
  /** Written `$name`: a list value is a set of choices, and one element is drawn. */
  drawsFromList: boolean;
}

export interface TemplateAssignment {
  targets: AssignmentTarget[];
  expression: TemplateExpression;
}

export interface GsmSymbolicTemplate {
  /** `p2/0003`. */
  id: string;
  variant: GsmSymbolicVariant;
  /** The question text with its `{variable,default}` placeholders. */
  text: string;
  placeholders: TemplatePlaceholder[];
  assignments: TemplateAssignment[];
  conditions: TemplateExpression[];
  answer: TemplateExpression;
  /** The original GSM8K question and its final answer (`#### N`), when the file has them. */
  originalQuestion: string | undefined;
  originalAnswer: number | undefined;
}

/** An error naming the template: every way a template can fail goes through here. */
export function templateError(
  templateId: string,
  stage: string,
  reason: string,
  details: Record<string, unknown> = {},
): SleeptimeError {
  return userError('template_failed', `GSM-Symbolic template ${templateId} failed (${stage}): ${reason}`, {
    template: templateId,
    stage,
    ...details,
  });
}

const placeholderPattern = /\{\s*([A-Za-z_][A-Za-z_0-9]*)\s*,([^{}]*)\}/g;
const sectionPattern = /^#(init|conditions|answer)\s*[:=](.*)$/;

/** Parses a template file's JSON (already read). Errors name `templateId`. */
export function parseGsmSymbolicTemplate(templateId: string, file: unknown): GsmSymbolicTemplate {
  if (typeof file !== 'object' || file === null || typeof (file as Record<string, unknown>).question_annotated !== 'string') {
    throw templateError(templateId, 'parse', 'the file has no string field "question_annotated"');
  }
  const record = file as Record<string, unknown>;
  const annotated = (record.question_annotated as string).replace(/\r\n?/g, '\n');
  const variant = templateId.split('/')[0] as GsmSymbolicVariant;

  const sections = splitSections(templateId, annotated);
  const text = sections.text.trim();
  const placeholders = findPlaceholders(text);
  if (/[{}]/.test(text.replace(placeholderPattern, ''))) {
    throw templateError(templateId, 'parse', 'the question text has a brace that is not a {variable,default} placeholder');
  }

  const parsedAssignments = sections.init.map((item) => parseAssignment(templateId, item));
  const parsedConditions = sections.conditions.map((item) => parseTemplateExpression(templateId, 'conditions', item));
  const parsedAnswer = parseTemplateExpression(templateId, 'answer', stripAnswerBraces(sections.answer));

  const assigned = new Set(parsedAssignments.flatMap((assignment) => assignment.targets.map((target) => target.name)));
  // Vocabularies and deterministic functions are fixed values, unless the template reuses the name.
  const pureNames = new Set([...vocabularies.keys(), ...deterministicFunctionNames].filter((name) => !assigned.has(name)));
  const compile = (parsed: ParsedExpression): TemplateExpression => ({ ...parsed, evaluate: compileExpression(parsed.node, pureNames) });
  const assignments = parsedAssignments.map((assignment) => ({ targets: assignment.targets, expression: compile(assignment.expression) }));
  const conditions = parsedConditions.map(compile);
  const answer = compile(parsedAnswer);

  for (const placeholder of placeholders) {
    if (!assigned.has(placeholder.variable)) {
      throw templateError(templateId, 'parse', `placeholder {${placeholder.variable},...} has no #init assignment`);
    }
  }

  const originalAnswerText = typeof record.answer === 'string' ? record.answer : undefined;
  return {
    id: templateId,
    variant,
    text,
    placeholders,
    assignments,
    conditions,
    answer,
    originalQuestion: typeof record.question === 'string' ? record.question : undefined,
    originalAnswer: originalAnswerText === undefined ? undefined : extractGsmAnswerFromReference(originalAnswerText),
  };
}

interface Sections {
  text: string;
  init: string[];
  conditions: string[];
  answer: string;
}

function splitSections(templateId: string, annotated: string): Sections {
  const textLines: string[] = [];
  const init: string[] = [];
  const conditions: string[] = [];
  const answerLines: string[] = [];
  let section: 'text' | 'init' | 'conditions' | 'answer' = 'text';
  const seen = new Set<string>();
  for (const rawLine of annotated.split('\n')) {
    const line = rawLine.trim();
    const header = sectionPattern.exec(line);
    if (header !== null) {
      const name = header[1] as 'init' | 'conditions' | 'answer';
      if (seen.has(name)) throw templateError(templateId, 'parse', `section #${name} appears twice`);
      seen.add(name);
      section = name;
      const rest = (header[2] ?? '').trim();
      if (rest !== '') {
        if (name !== 'answer') throw templateError(templateId, 'parse', `unexpected text after #${name}: ${rest}`);
        answerLines.push(rest);
      }
      continue;
    }
    if (section === 'text') {
      textLines.push(rawLine);
      continue;
    }
    if (line === '') continue;
    if (section === 'answer') {
      answerLines.push(line);
      continue;
    }
    if (!line.startsWith('-')) {
      throw templateError(templateId, 'parse', `a #${section} line must start with '-': ${line}`);
    }
    (section === 'init' ? init : conditions).push(line.slice(1).trim());
  }
  if (!seen.has('init')) throw templateError(templateId, 'parse', 'no #init section');
  if (!seen.has('answer') || answerLines.length === 0) throw templateError(templateId, 'parse', 'no #answer expression');
  return { text: textLines.join('\n'), init, conditions, answer: answerLines.join(' ') };
}

function findPlaceholders(text: string): TemplatePlaceholder[] {
  const placeholders: TemplatePlaceholder[] = [];
  for (const match of text.matchAll(placeholderPattern)) {
    placeholders.push({
      variable: match[1] as string,
      defaultText: (match[2] as string).trim(),
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  return placeholders;
}

// `- a, $b = expression`: the first top-level '=' (not '==', '<=', ...) splits targets from value.
type ParsedExpression = Omit<TemplateExpression, 'evaluate'>;

function parseAssignment(templateId: string, item: string): { targets: AssignmentTarget[]; expression: ParsedExpression } {
  let tokens;
  try {
    tokens = tokenize(item);
  } catch (error) {
    throw syntaxFailure(templateId, 'init', item, error);
  }
  let depth = 0;
  let equalsIndex = -1;
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index] as (typeof tokens)[number];
    if (token.kind !== 'operator') continue;
    if (token.text === '(' || token.text === '[' || token.text === '{') depth += 1;
    else if (token.text === ')' || token.text === ']' || token.text === '}') depth -= 1;
    else if (token.text === '=' && depth === 0) {
      equalsIndex = index;
      break;
    }
  }
  if (equalsIndex === -1) throw templateError(templateId, 'parse', `an #init item is not an assignment: ${item}`);
  const targetTokens = tokens.slice(0, equalsIndex);
  const targets: AssignmentTarget[] = [];
  for (let index = 0; index < targetTokens.length; index += 1) {
    const token = targetTokens[index] as (typeof tokens)[number];
    const expectName = index % 2 === 0;
    if (expectName && token.kind === 'name') {
      targets.push({ name: token.text, drawsFromList: item[token.offset] === '$' });
    } else if (!expectName && token.kind === 'operator' && token.text === ',') {
      continue;
    } else {
      throw templateError(templateId, 'parse', `bad assignment target in #init item: ${item}`);
    }
  }
  if (targets.length === 0) throw templateError(templateId, 'parse', `an #init item assigns nothing: ${item}`);
  const source = item.slice((tokens[equalsIndex] as { offset: number }).offset + 1).trim();
  return { targets, expression: parseTemplateExpression(templateId, 'init', source) };
}

function parseTemplateExpression(templateId: string, section: string, source: string): ParsedExpression {
  let node: ExpressionNode;
  try {
    node = parseExpression(source);
  } catch (error) {
    throw syntaxFailure(templateId, section, source, error);
  }
  return { source, node, names: freeNames(node) };
}

function syntaxFailure(templateId: string, section: string, source: string, error: unknown): SleeptimeError {
  const reason = error instanceof ExpressionSyntaxError ? error.message : String(error);
  return templateError(templateId, 'parse', `syntax error in #${section}: ${reason}`, { expression: source });
}

// `{expr}` around the whole answer (a one-element set in Python) means just `expr`.
function stripAnswerBraces(source: string): string {
  const trimmed = source.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return trimmed;
  let depth = 0;
  for (let index = 0; index < trimmed.length; index += 1) {
    const character = trimmed[index];
    if (character === '{') depth += 1;
    else if (character === '}') {
      depth -= 1;
      if (depth === 0 && index !== trimmed.length - 1) return trimmed; // `{a} + {b}`: not one pair
    }
  }
  return trimmed.slice(1, -1).trim();
}
