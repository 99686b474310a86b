/**
 * Dataset files → `BenchItem`s for the runner:
 *
 * - GSM-Symbolic JSONL (`sleeptime data gsm-symbolic`): rows with `id`, `template` (`p2/0003`),
 *   `question`, `answer`, `bindings`, `context`, `query` → dataset `gsm-symbolic-<variant>` (the
 *   variant is the template's prefix), one context group per item;
 * - Multi-Query JSONL: rows with `contextId`, `id`, `context`, `query`, `answer` (a number, or a
 *   `#### N` reference) → dataset `multi-query-<variant>` when rows carry a `template`, else
 *   `multi-query`; the context group is `contextId`, so the queries on one context share its sleep run;
 * - Stateful AIME: the problems folder (`loadAime`) or its JSONL (`sleeptime data aime`) → dataset
 *   `aime`, grader `aime`, one context group per problem. One-sentence problems have an empty context;
 *   they are kept here (the runner answers them without a sleep run; a grid may leave them out with
 *   `skipEmptyContexts`).
 *
 * A malformed row is a user error naming the file and line.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { userError } from '@sleeptime/core';
import type { BenchItem } from '../bench-types.js';
import { loadAime, type LoadAimeOptions } from '../datasets/aime.js';
import { extractGsmAnswerFromReference } from '../datasets/grading.js';
import { readJsonl } from '../datasets/jsonl.js';

export type BenchFileFormat = 'gsm-symbolic' | 'multi-query' | 'aime';

const text = z.string();
const nonEmptyText = z.string().refine((value) => value.trim() !== '', 'must not be empty');

const gsmSymbolicRowSchema = z.looseObject({
  id: nonEmptyText,
  template: z.string().regex(/^[a-z0-9]+\/\S+$/, 'must look like p1/0003'),
  question: nonEmptyText,
  answer: z.number(),
  bindings: z.record(z.string(), z.unknown()),
  context: text,
  query: nonEmptyText,
});

/** A number, a numeric string, or a GSM reference answer ending in `#### N`. */
const numericAnswer = z.union([z.number(), z.string()]).transform((value, context) => {
  if (typeof value === 'number') return value;
  const fromReference = value.includes('####') ? extractGsmAnswerFromReference(value) : undefined;
  const plain = value.trim().replace(/[$,]/g, '');
  const number = fromReference ?? (plain === '' ? Number.NaN : Number(plain));
  if (!Number.isFinite(number)) {
    context.addIssue({ code: 'custom', message: `answer is not a number: ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return number;
});

const multiQueryRowSchema = z.looseObject({
  contextId: nonEmptyText,
  id: nonEmptyText,
  context: text,
  query: nonEmptyText,
  answer: numericAnswer,
  template: z.string().optional(),
});

const aimeRowSchema = z.looseObject({
  id: nonEmptyText,
  year: z.number().int(),
  exam: z.string(),
  number: z.number().int(),
  context: text,
  query: nonEmptyText,
  answer: z.number().int().min(0).max(999),
});

/** 1-based line numbers of the non-blank lines, as readJsonl counts rows. */
async function rowLineNumbers(path: string): Promise<number[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  return lines.flatMap((line, index) => (line.trim() === '' ? [] : [index + 1]));
}

function variantOf(template: string): string {
  return template.slice(0, template.indexOf('/'));
}

async function checkUniqueIds(path: string, items: readonly BenchItem[]): Promise<void> {
  const seen = new Map<string, number>();
  let lines: number[] | undefined;
  for (const [index, item] of items.entries()) {
    const id = `${item.dataset}\u0000${item.id}`;
    const first = seen.get(id);
    if (first !== undefined) {
      lines ??= await rowLineNumbers(path);
      throw userError('dataset_malformed', `${path}, line ${lines[index] ?? index + 1}: id "${item.id}" was already used on line ${lines[first] ?? first + 1}.`, {
        path,
        line: lines[index] ?? index + 1,
      });
    }
    seen.set(id, index);
  }
}

/** Items from a GSM-Symbolic instance file; `variant` overrides the one read from the templates. */
export async function loadGsmSymbolicItems(path: string, options: { variant?: string } = {}): Promise<BenchItem[]> {
  const rows = await readJsonl(path, gsmSymbolicRowSchema);
  const items = rows.map((row): BenchItem => ({
    id: row.id,
    dataset: `gsm-symbolic-${options.variant ?? variantOf(row.template)}`,
    contextGroup: row.id,
    context: row.context,
    query: row.query,
    answer: row.answer,
    grader: 'gsm',
  }));
  await checkUniqueIds(path, items);
  return items;
}

/** Items from a Multi-Query file: queries that share `contextId` share one context and its sleep run. */
export async function loadMultiQueryItems(path: string, options: { dataset?: string } = {}): Promise<BenchItem[]> {
  const rows = await readJsonl(path, multiQueryRowSchema);
  const lines = await rowLineNumbers(path);
  const contexts = new Map<string, { context: string; line: number }>();
  const items = rows.map((row, index): BenchItem => {
    const line = lines[index] ?? index + 1;
    const first = contexts.get(row.contextId);
    if (first === undefined) contexts.set(row.contextId, { context: row.context, line });
    else if (first.context !== row.context) {
      throw userError(
        'dataset_malformed',
        `${path}, line ${line}: context "${row.contextId}" differs from its text on line ${first.line}.`,
        { path, line },
      );
    }
    return {
      id: row.id,
      dataset: options.dataset ?? (row.template === undefined ? 'multi-query' : `multi-query-${variantOf(row.template)}`),
      contextGroup: row.contextId,
      context: row.context,
      query: row.query,
      answer: row.answer,
      grader: 'gsm',
    };
  });
  await checkUniqueIds(path, items);
  return items;
}

function aimeItem(row: { id: string; context: string; query: string; answer: number }): BenchItem {
  return { id: row.id, dataset: 'aime', contextGroup: row.id, context: row.context, query: row.query, answer: row.answer, grader: 'aime' };
}

/** Items from the AIME problems folder (see loadAime). */
export async function loadAimeItems(options: LoadAimeOptions = {}): Promise<BenchItem[]> {
  return (await loadAime(options)).map(aimeItem);
}

/** Items from an AIME JSONL file (`sleeptime data aime --out F.jsonl`). */
export async function loadAimeJsonlItems(path: string): Promise<BenchItem[]> {
  const items = (await readJsonl(path, aimeRowSchema)).map(aimeItem);
  await checkUniqueIds(path, items);
  return items;
}

/** Which kind of file this is, from its first row. */
export async function detectBenchFileFormat(path: string): Promise<BenchFileFormat> {
  const rows = await readJsonl(path);
  const first = rows[0];
  if (typeof first !== 'object' || first === null || Array.isArray(first)) {
    throw userError('dataset_malformed', `${path}: ${rows.length === 0 ? 'no rows' : 'the first row is not an object'}; expected benchmark items.`, { path });
  }
  if ('contextId' in first) return 'multi-query';
  if ('template' in first && 'bindings' in first) return 'gsm-symbolic';
  if ('year' in first && 'exam' in first) return 'aime';
  throw userError(
    'dataset_malformed',
    `${path}, line 1: not a known item format (GSM-Symbolic rows have template and bindings, Multi-Query rows contextId, AIME rows year and exam).`,
    { path, line: 1 },
  );
}

/** Items from any of the three JSONL formats, detected from the first row unless `format` is given. */
export async function loadBenchItems(path: string, options: { format?: BenchFileFormat; dataset?: string } = {}): Promise<BenchItem[]> {
  const format = options.format ?? (await detectBenchFileFormat(path));
  switch (format) {
    case 'gsm-symbolic':
      return loadGsmSymbolicItems(path);
    case 'multi-query':
      return loadMultiQueryItems(path, options.dataset === undefined ? {} : { dataset: options.dataset });
    case 'aime':
      return loadAimeJsonlItems(path);
  }
}
