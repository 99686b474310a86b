/** JSON Lines files: one JSON value a line, the format of every dataset and result file here. */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { userError } from '@sleeptime/core';
import { writeFileAtomically } from '@sleeptime/core';

/**
 * Writes `rows` to `path`, one JSON value a line, creating the folder. The file is written beside
 * and then renamed into place, so a crash never leaves a half-written file that a later run
 * mistakes for a complete one.
 */
export async function writeJsonl(path: string, rows: Iterable<unknown>): Promise<void> {
  const lines: string[] = [];
  let lineNumber = 0;
  for (const row of rows) {
    lineNumber += 1;
    const line = JSON.stringify(row);
    // JSON.stringify(undefined) is undefined: such a row has no JSON form and would vanish.
    if (line === undefined) {
      throw userError('jsonl_unserializable', `Row ${lineNumber} for ${path} cannot be written as JSON.`, {
        path,
        line: lineNumber,
      });
    }
    lines.push(line);
  }
  await writeFileAtomically(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
}

/**
 * Reads a JSON Lines file; blank lines are skipped. With a zod `schema`, every row is validated and
 * typed. A missing file is `file_not_found`, a bad line `jsonl_malformed` naming the file and line.
 */
export async function readJsonl(path: string): Promise<unknown[]>;
export async function readJsonl<Row>(path: string, schema: z.ZodType<Row>): Promise<Row[]>;
export async function readJsonl<Row>(path: string, schema?: z.ZodType<Row>): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw userError('file_not_found', `No such file: ${path}`, { path });
    }
    throw error;
  }
  return parseJsonlText(text, schema, (line, problem) =>
    userError('jsonl_malformed', problem.kind === 'json' ? `${path}, line ${line}: not valid JSON (${problem.message}).` : `${path}, line ${line}: ${problem.message}.`, {
      path,
      line,
    }),
  );
}

/** What is wrong with one line: not JSON at all, or JSON the schema refuses (its first issue and where). */
export interface JsonlLineProblem {
  kind: 'json' | 'schema';
  message: string;
}

/**
 * Parses JSON Lines text (blank lines skipped), validating each value with `schema` when given;
 * `fail` turns the first bad line (numbered from 1) into the caller's error.
 */
export function parseJsonlText<Row>(text: string, schema: z.ZodType<Row> | undefined, fail: (line: number, problem: JsonlLineProblem) => Error): Row[] {
  const rows: Row[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = (lines[index] as string).trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw fail(index + 1, { kind: 'json', message: (error as Error).message });
    }
    if (schema !== undefined) {
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
        throw fail(index + 1, { kind: 'schema', message: `${issue?.message ?? 'invalid row'}${where}` });
      }
      value = parsed.data;
    }
    rows.push(value as Row);
  }
  return rows;
}
