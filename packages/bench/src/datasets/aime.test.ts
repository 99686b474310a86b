import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { aimeItemId, loadAime, mentionsFigure, parseAnswersCsv } from './aime.js';
import type { AimeItem } from './aime.js';
import { fixtureAimeFacts, writeDatasetFixtures } from './dataset-fixtures-test-support.js';
import { describeWithDatasets } from './datasets-test-support.js';
import { sleeptimeErrorOf } from '@sleeptime/core/testing';

const examFolders = ['aime_2024_I', 'aime_2024_II', 'aime_2025_I', 'aime_2025_II'];

function squash(text: string): string {
  return text.replace(/\s+/g, '');
}

/** answers.csv read here with nothing from the loader: `<folder>/<number>` -> the answer text. */
function answersFromCsv(aimeDir: string): Map<string, string> {
  const answers = new Map<string, string>();
  for (const folder of examFolders) {
    const lines = readFileSync(join(aimeDir, folder, 'answers.csv'), 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const [number, answer] = line.trim().split(',');
      answers.set(`${folder}/${number}`, answer as string);
    }
  }
  return answers;
}

function folderOf(item: AimeItem): string {
  return `aime_${item.year}_${item.exam}`;
}

/** What holds for any AIME folder, real or fixture: answers, statements and the split. */
function defineGeneralChecks(aimeDir: () => string, items: () => AimeItem[]): void {
  it('has the answers of answers.csv, as integers (zero padding dropped)', () => {
    const expected = answersFromCsv(aimeDir());
    expect(expected.size).toBe(items().length);
    for (const item of items()) {
      const raw = expected.get(`${folderOf(item)}/${item.number}`);
      expect(raw, item.id).toBeDefined();
      expect(item.answer, item.id).toBe(Number(raw));
      expect(Number.isInteger(item.answer)).toBe(true);
    }
  });

  it('keeps each problem as in its .tex file', () => {
    for (const item of items()) {
      const tex = readFileSync(join(aimeDir(), folderOf(item), 'problems', `${item.number}.tex`), 'utf8');
      expect(item.problem, item.id).toBe(tex.trim());
    }
  });

  it('splits every problem into a non-empty query cut from the problem, the rest the context', () => {
    for (const item of items()) {
      expect(item.query.trim(), item.id).not.toBe('');
      const at = item.problem.indexOf(item.query);
      expect(at, item.id).toBeGreaterThanOrEqual(0);
      const rest = item.problem.slice(0, at) + item.problem.slice(at + item.query.length);
      expect(squash(item.context), item.id).toBe(squash(rest));
    }
  });

  it('asks a question in every query and never puts figure code in it', () => {
    for (const item of items()) {
      expect(item.query, item.id).toMatch(/^(?:Find|What|If its diagonals)|\?$/);
      expect(item.query, item.id).not.toMatch(/<asy>|\\begin\{(?:asy|tikzpicture)\}|\\begin\{array\}/);
    }
  });

  it('flags every problem with an image file as having a figure', () => {
    const flagged = items().filter((item) => item.hasFigure).map((item) => item.id);
    for (const folder of examFolders) {
      const imagesDir = join(aimeDir(), folder, 'images');
      if (!existsSync(imagesDir)) continue;
      for (const file of readdirSync(imagesDir)) {
        const number = Number(/^problem_(\d+)\.png$/.exec(file)?.[1]);
        const [, year, exam] = /^aime_(\d+)_(I+)$/.exec(folder) ?? [];
        expect(flagged, file).toContain(aimeItemId(Number(year), exam as 'I' | 'II', number));
      }
    }
  });
}

// Problems whose question is not the end of the file: a figure (or table) follows it, or a note.
const queryNotAtEnd = [
  'aime-2024-I-05', 'aime-2024-I-06', 'aime-2024-I-08', 'aime-2024-II-03', 'aime-2024-II-08',
  'aime-2024-II-15', 'aime-2025-I-02', 'aime-2025-I-08', 'aime-2025-II-03', 'aime-2025-II-05',
  'aime-2025-II-06',
];

const figureProblems = [
  'aime-2024-I-05', 'aime-2024-I-06', 'aime-2024-I-08', 'aime-2024-II-03', 'aime-2024-II-08',
  'aime-2024-II-15', 'aime-2025-I-02', 'aime-2025-I-11', 'aime-2025-II-03', 'aime-2025-II-05',
  'aime-2025-II-06',
];

describeWithDatasets('loadAime on the real data (the 60 problems)', (datasetsDir) => {
  const aimeDir = join(datasetsDir, 'aime');
  let items: AimeItem[];
  beforeAll(async () => {
    items = await loadAime({ datasetsDir });
  });

  it('yields the 60 problems in year, exam, number order', () => {
    expect(items).toHaveLength(60);
    expect(items[0]?.id).toBe('aime-2024-I-01');
    expect(items[14]?.id).toBe('aime-2024-I-15');
    expect(items[15]?.id).toBe('aime-2024-II-01');
    expect(items[59]?.id).toBe('aime-2025-II-15');
    expect(new Set(items.map((item) => item.id)).size).toBe(60);
    for (const item of items) {
      expect(item.id).toBe(`aime-${item.year}-${item.exam}-${String(item.number).padStart(2, '0')}`);
    }
  });

  defineGeneralChecks(() => aimeDir, () => items);

  it('reads a zero-padded answer as its integer', () => {
    expect(items.find((item) => item.id === 'aime-2024-I-02')?.answer).toBe(25); // "025" in the file
  });

  it('holds back the end of the problem, except where a figure or a note follows the question', () => {
    const notAtEnd = items.filter((item) => !item.problem.endsWith(item.query)).map((item) => item.id);
    expect(notAtEnd).toEqual(queryNotAtEnd);
    for (const item of items) {
      if (queryNotAtEnd.includes(item.id)) continue;
      expect(squash(`${item.context}${item.query}`), item.id).toBe(squash(item.problem));
    }
  });

  it('keeps the figure that follows a question in the context', () => {
    const five = items.find((item) => item.id === 'aime-2024-I-05');
    expect(five?.query).toBe('Find $CE$.');
    expect(five?.context).toMatch(/<asy>[\s\S]*<\/asy>$/);
    const eight = items.find((item) => item.id === 'aime-2025-I-08');
    expect(eight?.query).toBe('Find $m+n.$');
    expect(eight?.context.endsWith('Here $i=\\sqrt{-1}.$')).toBe(true);
  });

  it('has an empty context only for the five one-sentence problems', () => {
    expect(items.filter((item) => item.context === '').map((item) => item.id)).toEqual([
      'aime-2024-I-07', 'aime-2024-II-11', 'aime-2025-I-01', 'aime-2025-I-04', 'aime-2025-II-02',
    ]);
  });

  it('flags exactly the problems with figures', () => {
    expect(items.filter((item) => item.hasFigure).map((item) => item.id)).toEqual(figureProblems);
  });

  it('reads only the years asked for', async () => {
    const only2025 = await loadAime({ datasetsDir, years: [2025] });
    expect(only2025).toHaveLength(30);
    expect(only2025.every((item) => item.year === 2025)).toBe(true);
  });

  it('accepts the aime folder itself as the datasets folder', async () => {
    expect(await loadAime({ datasetsDir: aimeDir, years: [2024] })).toHaveLength(30);
  });
});

describe('loadAime on the fixtures', () => {
  let datasetsDir: string;
  let items: AimeItem[];
  beforeAll(async () => {
    datasetsDir = await writeDatasetFixtures();
    items = await loadAime({ datasetsDir });
  });
  afterAll(async () => {
    await rm(datasetsDir, { recursive: true, force: true });
  });

  it('yields every problem of 2024 and 2025, in year, exam, number order', () => {
    expect(items.map((item) => item.id)).toEqual(fixtureAimeFacts.ids);
    expect(items.map((item) => item.answer)).toEqual(fixtureAimeFacts.answers);
  });

  defineGeneralChecks(() => join(datasetsDir, 'aime'), () => items);

  it('holds back the end of the problem, except where a figure or a note follows the question', () => {
    expect(items.filter((item) => !item.problem.endsWith(item.query)).map((item) => item.id)).toEqual(fixtureAimeFacts.queryNotAtEnd);
    const withFigure = items.find((item) => item.id === 'aime-2024-I-02');
    expect(withFigure?.query).toBe('Find the area of triangle $ABE$.');
    expect(withFigure?.context).toMatch(/<asy>[\s\S]*<\/asy>$/);
    const withNote = items.find((item) => item.id === 'aime-2025-I-02');
    expect(withNote?.query).toBe('Find $|z|^4+\\operatorname{Re}(z).$');
    expect(withNote?.context.endsWith('Here $i=\\sqrt{-1}.$')).toBe(true);
  });

  it('gives one-sentence problems an empty context, and flags figures', () => {
    expect(items.filter((item) => item.context === '').map((item) => item.id)).toEqual(fixtureAimeFacts.emptyContext);
    expect(items.filter((item) => item.hasFigure).map((item) => item.id)).toEqual(fixtureAimeFacts.withFigures);
  });

  it('reads only the years asked for, and accepts the aime folder itself', async () => {
    expect((await loadAime({ datasetsDir, years: [2025] })).map((item) => item.id)).toEqual(fixtureAimeFacts.ids.filter((id) => id.startsWith('aime-2025')));
    expect(await loadAime({ datasetsDir: join(datasetsDir, 'aime'), years: [2024] })).toHaveLength(5);
  });
});

describe('loadAime finds the data without options', () => {
  let datasetsDir: string;
  beforeAll(async () => {
    datasetsDir = await writeDatasetFixtures();
  });
  afterAll(async () => {
    await rm(datasetsDir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('from SLEEPTIME_DATASETS_DIR', async () => {
    vi.stubEnv('SLEEPTIME_DATASETS_DIR', datasetsDir);
    expect(await loadAime({ years: [2024] })).toHaveLength(5);
    vi.stubEnv('SLEEPTIME_DATASETS_DIR', join(tmpdir(), 'no-such-sleeptime-datasets'));
    expect((await sleeptimeErrorOf(loadAime())).code).toBe('dataset_not_found');
  });

  it('from the download cache when SLEEPTIME_DATASETS_DIR is not set, saying how to fill it when empty', async () => {
    vi.stubEnv('SLEEPTIME_DATASETS_DIR', '');
    vi.stubEnv('SLEEPTIME_DATASETS_CACHE_DIR', datasetsDir);
    expect(await loadAime()).toHaveLength(9);
    const emptyCache = join(tmpdir(), 'no-such-sleeptime-datasets-cache');
    vi.stubEnv('SLEEPTIME_DATASETS_CACHE_DIR', emptyCache);
    const error = await sleeptimeErrorOf(loadAime());
    expect(error.code).toBe('dataset_not_found');
    expect(error.message).toContain(join(emptyCache, 'aime'));
    expect(error.message).toMatch(/sleeptime data aime/);
  });
});

describe('loadAime on broken data', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sleeptime-aime-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /**
   * A small 2024 data set: exam I with two problems (each file replaceable, or `<missing>`), exam II
   * with one problem.
   */
  async function makeDatasets(name: string, examOneFiles: Record<string, string>): Promise<string> {
    const base = join(root, name);
    const exams: Record<string, Record<string, string>> = {
      aime_2024_I: {
        'answers.csv': 'id,answer\n1,007\n2,120\n',
        'config.yaml': 'n_problems: 2\n',
        'problems/1.tex': 'Ann has $3$ cats. Find the number of cats.',
        'problems/2.tex': 'Bob has 2.5 kg. How much is left?',
        ...examOneFiles,
      },
      aime_2024_II: { 'answers.csv': 'id,answer\n1,5', 'problems/1.tex': 'Find $5$.' },
    };
    for (const [exam, files] of Object.entries(exams)) {
      await mkdir(join(base, 'aime', exam, 'problems'), { recursive: true });
      for (const [path, text] of Object.entries(files)) {
        if (text !== '<missing>') await writeFile(join(base, 'aime', exam, path), text);
      }
    }
    return base;
  }

  it('loads a well-formed folder (the baseline for the cases below)', async () => {
    const base = await makeDatasets('good', {});
    const loaded = await loadAime({ datasetsDir: base, years: [2024] });
    expect(loaded.map((item) => [item.id, item.answer, item.context, item.query])).toEqual([
      ['aime-2024-I-01', 7, 'Ann has $3$ cats.', 'Find the number of cats.'],
      ['aime-2024-I-02', 120, 'Bob has 2.5 kg.', 'How much is left?'],
      ['aime-2024-II-01', 5, '', 'Find $5$.'],
    ]);
  });

  it('reports a missing exam folder', async () => {
    const base = await makeDatasets('no-2025', {});
    const error = await sleeptimeErrorOf(loadAime({ datasetsDir: base }));
    expect(error.code).toBe('dataset_not_found');
    expect(error.message).toContain(join(base, 'aime', 'aime_2025_I'));
  });

  it.each([
    ['a missing answers.csv', { 'answers.csv': '<missing>' }, 'dataset_not_found', 'answers.csv'],
    ['a missing problem file', { 'problems/2.tex': '<missing>' }, 'dataset_not_found', '2.tex'],
    ['a non-integer answer', { 'answers.csv': 'id,answer\n1,7\n2,12.5\n' }, 'dataset_malformed', 'line 3'],
    ['an answer above 999', { 'answers.csv': 'id,answer\n1,7\n2,1000\n' }, 'dataset_malformed', 'line 3'],
    ['a duplicated problem', { 'answers.csv': 'id,answer\n1,7\n1,8\n' }, 'dataset_malformed', 'listed twice'],
    ['a missing header', { 'answers.csv': '1,7\n2,8\n' }, 'dataset_malformed', 'header'],
    ['no answers', { 'answers.csv': 'id,answer\n' }, 'dataset_malformed', 'no answers'],
    ['an empty problem', { 'problems/1.tex': '  \n' }, 'dataset_malformed', '1.tex'],
    [
      'a count that disagrees with config.yaml',
      { 'config.yaml': 'n_problems: 15\n' },
      'dataset_malformed',
      'n_problems',
    ],
  ])('reports %s', async (name, files, code, mentioned) => {
    const base = await makeDatasets(name.replace(/\W+/g, '-'), files);
    const error = await sleeptimeErrorOf(loadAime({ datasetsDir: base, years: [2024] }));
    expect(error.code).toBe(code);
    expect(error.category).toBe('user');
    expect(error.message).toContain(mentioned);
    expect(error.message).toContain(join(base, 'aime', 'aime_2024_I'));
  });

  it('reports a datasets folder without aime/', async () => {
    const error = await sleeptimeErrorOf(loadAime({ datasetsDir: join(root, 'empty-folder') }));
    expect(error.code).toBe('dataset_not_found');
    expect(error.message).toContain(join(root, 'empty-folder', 'aime'));
  });
});

describe('parseAnswersCsv', () => {
  it('reads zero-padded answers, CRLF lines, a BOM and a missing final newline', () => {
    const answers = parseAnswersCsv('\uFEFFid,answer\r\n1,025\r\n2,0\r\n3,999', 'answers.csv');
    expect([...answers]).toEqual([
      [1, 25],
      [2, 0],
      [3, 999],
    ]);
  });
});

describe('mentionsFigure', () => {
  it.each([
    ['Find $x$, as shown.', true],
    ['The diagram below shows three rectangles.', true],
    ['<asy>draw(A--B);</asy>', true],
    ['\\begin{tikzpicture}\\end{tikzpicture}', true],
    ['\\includegraphics{a.png}', true],
    ['The pattern depicted below.', true],
    ['Find the number of shown-up guests.', false],
    ['Find $m+n$.', false],
  ])('%j -> %s', (text, expected) => {
    expect(mentionsFigure(text)).toBe(expected);
  });
});
