/**
 * Stateful AIME: the 60 problems of AIME 2024 and 2025 (MathArena's copy, pinned in
 * datasets-manifest.ts), each split into a context and a held-back question.
 *
 * Layout read: `<datasets>/aime/aime_<year>_<I|II>/{answers.csv, config.yaml, problems/<n>.tex,
 * images/problem_<n>.png}`. The split is {@link splitAtQuestion}: the query is the last sentence
 * that asks ("Find ...", "...?"). For 57 of the 60 problems that is the last prose sentence, as in
 * the paper's rule; in 2024 II 3 and 2024 II 15 an example or "The diagram below shows..." follows
 * the question, and in 2025 I 8 a note ("Here $i=\sqrt{-1}.$"): those stay in the context.
 * Figures (`<asy>`, TikZ) and standalone tables stay in the context even when they follow the
 * question (8 problems): they describe the situation. Five problems are a single sentence: their
 * context is empty and the whole problem is the query (the bench answers them without a sleep run).
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { userError } from '@sleeptime/core';
import { resolveDatasetsDir } from './datasets-dir.js';
import { splitAtQuestion } from './stateful-split.js';

export type AimeExam = 'I' | 'II';

export interface AimeItem {
  /** `aime-2024-I-01`: year, exam and the zero-padded problem number. */
  id: string;
  year: number;
  exam: AimeExam;
  number: number;
  /** The problem statement as in the .tex file, trimmed. */
  problem: string;
  context: string;
  query: string;
  /** An integer from 0 to 999 (answers.csv zero-pads some: `025` is 25). */
  answer: number;
  /** The problem has an image (`images/problem_<n>.png`), a drawing, or refers to a figure. */
  hasFigure: boolean;
}

export interface LoadAimeOptions {
  /**
   * The datasets folder (holding `aime/`) or the `aime` folder itself. Default: SLEEPTIME_DATASETS_DIR,
   * else the download cache (see resolveDatasetsDir; prepareDatasets fills it, this only reads).
   */
  datasetsDir?: string;
  /** Default: 2024 and 2025. */
  years?: number[];
}

export const DEFAULT_AIME_YEARS: readonly number[] = [2024, 2025];
const exams: readonly AimeExam[] = ['I', 'II'];

/** The problems of the given years, ordered by year, exam and number. */
export async function loadAime(options: LoadAimeOptions = {}): Promise<AimeItem[]> {
  const aimeDir = locateAimeDir(resolveDatasetsDir(options.datasetsDir));
  const years = options.years ?? DEFAULT_AIME_YEARS;
  const items: AimeItem[] = [];
  for (const year of [...new Set(years)].sort((left, right) => left - right)) {
    for (const exam of exams) items.push(...(await loadExam(aimeDir, year, exam)));
  }
  return items;
}

/** `aime-2024-I-01`. */
export function aimeItemId(year: number, exam: AimeExam, number: number): string {
  return `aime-${year}-${exam}-${String(number).padStart(2, '0')}`;
}

// A drawing in the statement, or words that point at one ("as shown", "the diagram below").
const figurePatterns = [
  /\\includegraphics/,
  /<asy>|\\begin\{asy\}/,
  /\\begin\{tikzpicture\}/,
  /\bfigure\b/i,
  /\bdiagram\b/i,
  /\bas shown\b/i,
  /\bdepicted\b/i,
  /\bpictured\b/i,
];

/** True when the statement draws or refers to a figure (an image file is checked separately). */
export function mentionsFigure(problem: string): boolean {
  return figurePatterns.some((pattern) => pattern.test(problem));
}

function locateAimeDir(datasetsDir: string): string {
  const nested = join(datasetsDir, 'aime');
  if (existsSync(nested)) return nested;
  // Also accept the aime folder itself (a user pointing at their own copy).
  if (existsSync(join(datasetsDir, 'aime_2024_I')) || existsSync(join(datasetsDir, 'aime_2025_I'))) {
    return datasetsDir;
  }
  throw userError(
    'dataset_not_found',
    `AIME data not found: ${nested} does not exist. Pass the datasets folder holding aime/ (datasetsDir, ` +
      '--datasets-dir or SLEEPTIME_DATASETS_DIR), or download the pinned problems into the cache ' +
      '(`sleeptime data aime` does, or prepareDatasets).',
    { path: nested },
  );
}

async function loadExam(aimeDir: string, year: number, exam: AimeExam): Promise<AimeItem[]> {
  const examDir = join(aimeDir, `aime_${year}_${exam}`);
  if (!existsSync(examDir)) {
    throw userError('dataset_not_found', `AIME ${year} ${exam} not found: ${examDir} does not exist.`, {
      path: examDir,
    });
  }
  const answersPath = join(examDir, 'answers.csv');
  const answers = parseAnswersCsv(await readRequired(answersPath), answersPath);
  await checkProblemCount(examDir, answers.size);
  const images = await imageNumbers(examDir);

  const items: AimeItem[] = [];
  for (const [number, answer] of [...answers].sort(([left], [right]) => left - right)) {
    const problemPath = join(examDir, 'problems', `${number}.tex`);
    const problem = (await readRequired(problemPath)).trim();
    if (problem === '') {
      throw userError('dataset_malformed', `${problemPath} is empty.`, { path: problemPath });
    }
    const { context, query } = splitAtQuestion(problem);
    items.push({
      id: aimeItemId(year, exam, number),
      year,
      exam,
      number,
      problem,
      context,
      query,
      answer,
      hasFigure: images.has(number) || mentionsFigure(problem),
    });
  }
  return items;
}

/**
 * `id,answer` lines, a header first; ids are problem numbers, answers integers 0-999 (zero-padded
 * or not). Anything else is `dataset_malformed` with the file and line.
 */
export function parseAnswersCsv(text: string, path: string): Map<number, number> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const malformed = (line: number, why: string) =>
    userError('dataset_malformed', `${path}, line ${line}: ${why}`, { path, line });

  const header = (lines[0] ?? '').trim().toLowerCase().replace(/\s/g, '');
  if (header !== 'id,answer') throw malformed(1, `expected the header "id,answer", found "${lines[0] ?? ''}".`);

  const answers = new Map<number, number>();
  for (let index = 1; index < lines.length; index += 1) {
    const line = (lines[index] as string).trim();
    if (line === '') continue;
    const match = /^(\d+)\s*,\s*(\d+)$/.exec(line);
    if (match === null) throw malformed(index + 1, `expected "<problem number>,<integer answer>", found "${line}".`);
    const number = Number.parseInt(match[1] as string, 10);
    const answer = Number.parseInt(match[2] as string, 10);
    if (number < 1) throw malformed(index + 1, `problem number ${number} is not positive.`);
    if (answer > 999) throw malformed(index + 1, `answer ${answer} is outside AIME's 0-999.`);
    if (answers.has(number)) throw malformed(index + 1, `problem ${number} is listed twice.`);
    answers.set(number, answer);
  }
  if (answers.size === 0) throw malformed(1, 'no answers.');
  return answers;
}

/** config.yaml's `n_problems`, when present, must agree with answers.csv. */
async function checkProblemCount(examDir: string, answerCount: number): Promise<void> {
  const configPath = join(examDir, 'config.yaml');
  if (!existsSync(configPath)) return;
  const match = /^n_problems:\s*(\d+)\s*$/m.exec(await readFile(configPath, 'utf8'));
  if (match === null) return;
  const expected = Number.parseInt(match[1] as string, 10);
  if (expected !== answerCount) {
    throw userError(
      'dataset_malformed',
      `${configPath} says n_problems: ${expected}, but answers.csv lists ${answerCount} answers.`,
      { path: configPath },
    );
  }
}

/** Problem numbers with an `images/problem_<n>.<ext>` file. */
async function imageNumbers(examDir: string): Promise<Set<number>> {
  const imagesDir = join(examDir, 'images');
  if (!existsSync(imagesDir)) return new Set();
  const numbers = new Set<number>();
  for (const name of await readdir(imagesDir)) {
    const match = /^problem_(\d+)\.(?:png|jpe?g|gif|svg|webp)$/i.exec(name);
    if (match !== null) numbers.add(Number.parseInt(match[1] as string, 10));
  }
  return numbers;
}

async function readRequired(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw userError('dataset_not_found', `AIME data file missing: ${path}`, { path });
    }
    throw error;
  }
}
