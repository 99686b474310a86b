/**
 * Test fixtures in the exact formats of the real datasets, so that tests run without the shared
 * datasets folder: a few GSM-Symbolic template files (`gsm-symbolic/templates/<variant>/NNNN.json`
 * with `question`, `answer`, `id_orig`, `id_shuffled`, `question_annotated`, `answer_annotated`) and
 * a small AIME tree (`aime/aime_<year>_<exam>/{answers.csv, config.yaml, problems/N.tex,
 * images/problem_N.png}`). Everything here was written for these tests in the real templates'
 * syntax; none of it is copied from GSM-Symbolic, GSM8K or AIME.
 *
 * Also: a manifest of these files (the shape of datasets-manifest.ts, same repositories and commits,
 * their own hashes) and an HTTP server on 127.0.0.1 that serves a datasets folder under the URLs
 * `downloadDatasets` asks for, for the download tests.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// Types only: a test may mock the manifest module with fixtureDatasetSources, which must not load it.
import type { DatasetFile, DatasetName, DatasetSource } from './datasets-manifest.js';

interface TemplateFixture {
  question: string;
  answer: string;
  question_annotated: string;
  answer_annotated: string;
}

const template = (lines: string[]): string => lines.join('\n');

/**
 * Eight templates: three per P1 (the CLI tests use p1/0000-0002), two P2, three symbolic. Symbolic
 * templates ask the original question (their defaults reproduce `#### N`); P1 and P2 add clauses,
 * as Apple's do. Together they use vocabularies, labeled values (`fractions`, `multi_times`,
 * `fraction_alph`), currency, tuple assignment with `sample_sequential`, `frange`, `is_int`,
 * `divides`, `int` and `//`.
 */
export const fixtureTemplates: Readonly<Record<string, TemplateFixture>> = {
  'p1/0000': {
    question: 'Lena buys 4 boxes of pencils with 12 pencils in each box. She gives 9 pencils to her brother. How many pencils does she have left?',
    answer: 'Lena buys 4 * 12 = <<4*12=48>>48 pencils.\nAfter giving 9 away she has 48 - 9 = <<48-9=39>>39 pencils.\n#### 39',
    question_annotated: template([
      '{name,Lena} buys {b,4} boxes of {item,pencils} with {n,12} {item,pencils} in each box. She gives {g,9} {item,pencils} to her brother and then uses {frac,half} of the rest for a school project. How many {item,pencils} does {name,Lena} have left?',
      '',
      '#init:',
      '- name = sample(names_female)',
      '- item = sample(["pencils", "markers", "crayons"])',
      '- $b = range(2, 9)',
      '- $n = range(6, 25)',
      '- $g = range(2, 20)',
      '- $frac = sample(fractions)',
      '',
      '#conditions:',
      '- g < b * n',
      '- is_int((b * n - g) * frac)',
      '',
      '#answer: int((b * n - g) * (1 - frac))',
    ]),
    answer_annotated: '{name} buys {b} * {n} = <<{b}*{n}={b*n}>>{b*n} {item}.\nAfter giving {g} away she has {b*n-g} and uses {frac} of them.\n#### {int((b*n-g)*(1-frac))}',
  },
  'p1/0001': {
    question: 'A café sells muffins for $3 each and coffee for $2 a cup. Omar buys 5 muffins and 4 cups of coffee. How much does he spend?',
    answer: 'The muffins cost 5 * 3 = <<5*3=15>>15 dollars.\nThe coffee costs 4 * 2 = <<4*2=8>>8 dollars.\nHe spends 15 + 8 = <<15+8=23>>23 dollars.\n#### 23',
    question_annotated: template([
      'A café sells {item,muffins} for {cur,$}{p1,3} each and coffee for {cur,$}{p2,2} a cup. {name,Omar} buys {m,5} {item,muffins} and {c,4} cups of coffee, and pays with a {cur,$}{bill,50} bill. How much change does {name,Omar} get?',
      '',
      '#init:',
      '- name = sample(names_male)',
      "- item = sample(['muffins', 'bagels', 'croissants'])",
      '- cur = sample(currencies_sym)',
      '- $p1 = range(2, 8)',
      '- $p2 = range(1, 6)',
      '- $m = range(2, 10)',
      '- $c = range(2, 10)',
      '- $bill = [20, 50, 100]',
      '',
      '#conditions:',
      '- m * p1 + c * p2 < bill',
      '',
      '#answer: bill - (m * p1 + c * p2)',
    ]),
    answer_annotated: 'The {item} cost {m} * {p1} = <<{m}*{p1}={m*p1}>>{m*p1}.\nThe coffee costs {c} * {p2} = <<{c}*{p2}={c*p2}>>{c*p2}.\nHis change is {bill} - {m*p1+c*p2} = {bill-(m*p1+c*p2)}.\n#### {bill-(m*p1+c*p2)}',
  },
  'p1/0002': {
    question: "Mei's garden has 14 rose bushes. It has twice as many tulip plants as rose bushes. How many plants are in Mei's garden?",
    answer: 'There are 14 * 2 = <<14*2=28>>28 tulips.\nThere are 14 + 28 = <<14+28=42>>42 plants.\n#### 42',
    question_annotated: template([
      '{name,Mei}\'s {place,garden} has {r,14} rose bushes. It has {mult,twice} as many tulip plants as rose bushes, and {d,6} fewer daisies than tulips. How many plants are in {name,Mei}\'s {place,garden}?',
      '',
      '#init:',
      '- name = sample(names)',
      "- place = sample(['garden', 'yard', 'greenhouse'])",
      '- $r = range(5, 40)',
      '- $mult = sample(multi_times)',
      '- $d = range(2, 20)',
      '',
      '#conditions:',
      '- d < r * mult',
      '',
      '#answer: r + r * mult + (r * mult - d)',
    ]),
    answer_annotated: 'There are {r} * {mult} = {r*mult} tulips and {r*mult} - {d} = {r*mult-d} daisies.\n#### {r+r*mult+(r*mult-d)}',
  },
  'p2/0000': {
    question: 'Nadia reads 15 pages on Monday and 20 pages on Tuesday. How many pages did she read in total?',
    answer: 'She read 15 + 20 = <<15+20=35>>35 pages.\n#### 35',
    question_annotated: template([
      '{name,Nadia} reads {a,15} pages on {day1,Monday} and {b,20} pages on {day2,Tuesday}. On {day3,Wednesday} she reads {mult,twice} as many pages as on {day1,Monday}, but {s,5} of them are pages she had already read. How many new pages did she read in total?',
      '',
      '#init:',
      '- name = sample(names_female)',
      '- day1, day2, day3 = sample_sequential(weekdays, 3)',
      '- $a = range(5, 40)',
      '- $b = range(5, 40)',
      '- $mult = sample(multi_times)',
      '- $s = range(2, 10)',
      '',
      '#conditions:',
      '- s < a * mult',
      '',
      '#answer: a + b + a * mult - s',
    ]),
    answer_annotated: 'On {day3} she reads {a} * {mult} = {a*mult} pages, {a*mult-s} of them new.\n#### {a+b+a*mult-s}',
  },
  'p2/0001': {
    question: 'A school has 400 students. 25% of them walk to school and 40% take the bus. How many students get to school another way?',
    answer: '25% of 400 is <<400*25/100=100>>100 and 40% is <<400*40/100=160>>160.\nThe others are 400 - 100 - 160 = <<400-100-160=140>>140.\n#### 140',
    question_annotated: template([
      'A school has {n,400} students. {p1,25}% of them walk to school, {p2,40}% take the bus, and {k,30} are driven by their parents. The rest ride bikes. If {f,a quarter} of the bike riders also have a scooter, how many bike riders do not have a scooter?',
      '',
      '#init:',
      '- $n = range(200, 1000, 20)',
      '- $p1 = range(10, 40, 5)',
      '- $p2 = range(10, 40, 5)',
      '- $k = range(10, 60)',
      '- $f = sample(fraction_alph)',
      '',
      '#conditions:',
      '- is_int(n * p1 / 100) and is_int(n * p2 / 100)',
      '- n * (p1 + p2) / 100 + k < n',
      '- is_int((n - n * (p1 + p2) / 100 - k) * f)',
      '',
      '#answer: int((n - n * (p1 + p2) / 100 - k) * (1 - f))',
    ]),
    answer_annotated: '{n*p1//100} walk and {n*p2//100} take the bus, so {n-n*(p1+p2)//100-k} ride bikes.\n#### {int((n-n*(p1+p2)/100-k)*(1-f))}',
  },
  'symbolic/0000': {
    question: 'Rosa bakes 24 muffins in the morning and 18 in the afternoon. She sells 30 of them. How many muffins are left?',
    answer: 'She bakes 24 + 18 = <<24+18=42>>42 muffins.\nShe has 42 - 30 = <<42-30=12>>12 left.\n#### 12',
    question_annotated: template([
      '{name,Rosa} bakes {x,24} {item,muffins} in the morning and {y,18} in the afternoon. She sells {z,30} of them. How many {item,muffins} are left?',
      '',
      '#init:',
      '- name = sample(names_female)',
      '- item = sample(["muffins", "cookies", "scones"])',
      '- $x = range(10, 60)',
      '- $y = range(10, 60)',
      '- $z = range(5, 80)',
      '',
      '#conditions:',
      '- z < x + y',
      '',
      '#answer: x + y - z',
    ]),
    answer_annotated: 'She bakes {x} + {y} = <<{x}+{y}={x+y}>>{x+y} {item}.\nShe has {x+y} - {z} = <<{x+y}-{z}={x+y-z}>>{x+y-z} left.\n#### {x+y-z}',
  },
  'symbolic/0001': {
    question: 'A bottle of juice costs $2.50. Theo buys 6 bottles and pays with a $20 bill. How much change does he get?',
    answer: 'Six bottles cost 6 * 2.50 = <<6*2.5=15>>15 dollars.\nHis change is 20 - 15 = <<20-15=5>>5 dollars.\n#### 5',
    question_annotated: template([
      'A bottle of {drink,juice} costs {cur,$}{p,2.50}. {name,Theo} buys {n,6} bottles and pays with a {cur,$}{bill,20} bill. How much change does he get?',
      '',
      '#init:',
      "- drink = sample(['juice', 'lemonade', 'iced tea'])",
      '- cur = sample(currencies_sym)',
      '- name = sample(names_male)',
      '- $p = frange(1.25, 4.5, 0.25)',
      '- $n = range(2, 9)',
      '- $bill = [20, 50]',
      '',
      '#conditions:',
      '- n * p < bill',
      '',
      '#answer: bill - n * p',
    ]),
    answer_annotated: '{n} bottles cost {n} * {p} = {n*p}.\nHis change is {bill} - {n*p} = {bill-n*p}.\n#### {bill-n*p}',
  },
  'symbolic/0002': {
    question: 'Farid packs 156 eggs into cartons of 12. How many cartons does Farid fill?',
    answer: 'He fills 156 / 12 = <<156/12=13>>13 cartons.\n#### 13',
    question_annotated: template([
      '{name,Farid} packs {e,156} eggs into cartons of {c,12}. How many cartons does {name,Farid} fill?',
      '',
      '#init:',
      '- name = sample(names_male)',
      '- $c = [6, 10, 12, 18]',
      '- $e = range(50, 400)',
      '',
      '#conditions:',
      '- divides(e, c)',
      '',
      '#answer: e // c',
    ]),
    answer_annotated: 'He fills {e} / {c} = <<{e}/{c}={e//c}>>{e//c} cartons.\n#### {e//c}',
  },
};

/** A 1x1 PNG: the fixture's figure. */
const tinyPng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const fixtureLicense = 'Test fixture written for sleeptime\'s tests; not part of any published dataset.\n';

const aimeConfig = (problems: number, date: string) =>
  `instruction: "Please reason step by step, and put your final answer within \\\\boxed{{}}."\nstrict_parsing: true\nn_problems: ${problems}\ndate: "${date}"`;

/**
 * Nine problems over the four exams, with the cases the loader must handle: zero-padded answers,
 * a figure (`<asy>` and an image file) after the question, a note after the question, and
 * one-sentence problems (empty context).
 */
const fixtureAime: Readonly<Record<string, string | Uint8Array>> = {
  LICENSE: fixtureLicense,
  'aime_2024_I/answers.csv': 'id,answer\n1,208\n2,018\n3,130\n',
  'aime_2024_I/config.yaml': aimeConfig(3, '2024-02-01'),
  'aime_2024_I/problems/1.tex': 'Let $a$ and $b$ be positive integers such that $a+b=20$ and $ab=96$. Find $a^2+b^2$.\n',
  'aime_2024_I/problems/2.tex': [
    'Square $ABCD$ has side length $6$. Point $E$ lies on $\\overline{CD}$ with $DE=2$. Find the area of triangle $ABE$.',
    '',
    '<asy>',
    'unitsize(0.5cm);',
    'pair A = (0,6), B = (6,6), C = (6,0), D = (0,0), E = (2,0);',
    'draw(A--B--C--D--cycle);',
    'draw(A--E--B);',
    '</asy>',
    '',
  ].join('\n'),
  'aime_2024_I/problems/3.tex': 'Find the number of positive integers less than $1000$ that are divisible by $7$ but not by $11$.\n',
  'aime_2024_I/images/problem_2.png': tinyPng,
  'aime_2024_II/answers.csv': 'id,answer\n1,004\n2,1\n',
  'aime_2024_II/config.yaml': aimeConfig(2, '2024-02-07'),
  'aime_2024_II/problems/1.tex':
    'A bag holds $4$ red marbles and $6$ blue marbles. Two marbles are drawn without replacement. The probability that both are blue is $\\frac{m}{n}$, where $m$ and $n$ are relatively prime positive integers. Find $m+n$.\n',
  'aime_2024_II/problems/2.tex': 'What is the remainder when $2^{100}$ is divided by $125$?\n',
  'aime_2025_I/answers.csv': 'id,answer\n1,75\n2,066\n',
  'aime_2025_I/config.yaml': aimeConfig(2, '2025-02-06'),
  'aime_2025_I/problems/1.tex': 'The sum of three consecutive odd integers is $219$. Find the largest of the three.\n',
  'aime_2025_I/problems/2.tex': 'Let $z$ be the complex number with $z^2=-8i$ and positive real part. Find $|z|^4+\\operatorname{Re}(z).$ Here $i=\\sqrt{-1}.$\n',
  'aime_2025_II/answers.csv': 'id,answer\n1,13\n2,18\n',
  'aime_2025_II/config.yaml': aimeConfig(2, '2025-02-12'),
  'aime_2025_II/problems/1.tex': 'A rectangle has perimeter $34$ and area $60$. Find the length of its diagonal.\n',
  'aime_2025_II/problems/2.tex':
    'In a tournament each pair of $12$ teams plays exactly once. A win earns $3$ points and a draw earns $1$ point for each team. The teams earned $180$ points in all. How many games ended in a draw?\n',
};

/** Facts about the AIME fixture, for assertions. */
export const fixtureAimeFacts = {
  ids: [
    'aime-2024-I-01', 'aime-2024-I-02', 'aime-2024-I-03', 'aime-2024-II-01', 'aime-2024-II-02',
    'aime-2025-I-01', 'aime-2025-I-02', 'aime-2025-II-01', 'aime-2025-II-02',
  ],
  answers: [208, 18, 130, 4, 1, 75, 66, 13, 18],
  withFigures: ['aime-2024-I-02'],
  emptyContext: ['aime-2024-I-03', 'aime-2024-II-02'],
  queryNotAtEnd: ['aime-2024-I-02', 'aime-2025-I-02'],
};

/** Every fixture file by its path in a datasets folder (`gsm-symbolic/templates/p1/0000.json`, `aime/...`). */
export function fixtureDatasetFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  files.set('gsm-symbolic/LICENSE', Buffer.from(fixtureLicense));
  for (const [id, fixture] of Object.entries(fixtureTemplates)) {
    const [variant, number] = id.split('/') as [string, string];
    const index = Object.keys(fixtureTemplates).filter((other) => other.startsWith(`${variant}/`)).indexOf(id);
    // The real files' field order; `id_orig` and `id_shuffled` are made up.
    const json = {
      question: fixture.question,
      answer: fixture.answer,
      id_orig: 9000 + Object.keys(fixtureTemplates).indexOf(id),
      id_shuffled: index,
      question_annotated: fixture.question_annotated,
      answer_annotated: fixture.answer_annotated,
    };
    files.set(`gsm-symbolic/templates/${variant}/${number}.json`, Buffer.from(`${JSON.stringify(json, null, 4)}\n`));
  }
  for (const [path, content] of Object.entries(fixtureAime)) {
    files.set(`aime/${path}`, typeof content === 'string' ? Buffer.from(content) : content);
  }
  return files;
}

/** Writes the fixtures into `dir` (default: a new temporary folder) and returns that folder. */
export async function writeDatasetFixtures(dir?: string): Promise<string> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'sleeptime-dataset-fixtures-')));
  for (const [path, bytes] of fixtureDatasetFiles()) {
    const target = join(root, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
  return root;
}

/**
 * A manifest of the fixture files in the shape of the pinned one: the `pinned` sources (pass
 * DATASET_SOURCES: same repositories, commits and folders) with the fixtures' files and hashes, for
 * downloading them from {@link startDatasetsServer}.
 */
export function fixtureDatasetSources(pinned: readonly DatasetSource[]): DatasetSource[] {
  const files = fixtureDatasetFiles();
  return pinned.map((source) => {
    const prefix = `${source.dataset}/`;
    const listed = [...files]
      .filter(([path]) => path.startsWith(prefix))
      .map(([path, bytes]): DatasetFile => {
        const relative = path.slice(prefix.length);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        // As in the pinned manifest: MathArena's licence sits at its repository's root.
        const from = source.dataset === 'aime' && relative === 'LICENSE' ? { from: 'LICENSE' } : {};
        return { path: relative, ...from, sha256, bytes: bytes.length };
      });
    return { ...source, files: listed };
  });
}

/** What the server does for one file instead of serving it. */
export type DatasetsServerOverride = { body: Uint8Array } | { status: number } | 'hang';

export interface DatasetsServer {
  /** `http://127.0.0.1:<port>`: the base URL for downloadDatasets. */
  baseUrl: string;
  /** The paths asked for, in order. */
  requests: string[];
  /** The most requests that were in flight at once. */
  maxInFlight(): number;
  close(): Promise<void>;
}

export interface DatasetsServerOptions {
  /** The sources whose files are served (URL layout of datasetFileUrl). */
  sources: readonly DatasetSource[];
  /** The datasets folder the files are read from (`<dir>/<dataset>/<path>`). */
  datasetsDir: string;
  /** Per file (`aime/aime_2024_I/answers.csv`): other bytes, an HTTP status, or no answer at all. */
  override?: (path: string) => DatasetsServerOverride | undefined;
  /** Delay before each answer, to observe concurrency. */
  delayMs?: number;
}

/**
 * Serves a datasets folder on 127.0.0.1 under the URLs of raw.githubusercontent.com
 * (`/<owner>/<repo>/<commit>/<path in the repository>`), laid out here without the code under test;
 * anything else is a 404.
 */
export async function startDatasetsServer(options: DatasetsServerOptions): Promise<DatasetsServer> {
  const routes = new Map<string, { dataset: DatasetName; file: DatasetFile }>();
  for (const source of options.sources) {
    for (const file of source.files) {
      const inRepository = file.from ?? (source.remoteFolder === '' ? file.path : `${source.remoteFolder}/${file.path}`);
      routes.set(`/${source.repository}/${source.commit}/${inRepository}`, { dataset: source.dataset, file });
    }
  }
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let maxInFlight = 0;
  const answer = async (pathname: string, response: ServerResponse): Promise<void> => {
    const route = routes.get(pathname);
    if (route === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found');
      return;
    }
    const path = `${route.dataset}/${route.file.path}`;
    const override = options.override?.(path);
    if (override === 'hang') return; // never answers; close() ends the connection
    if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (override !== undefined && 'status' in override) {
      response.writeHead(override.status, { 'content-type': 'text/plain' }).end(`${override.status}`);
      return;
    }
    const body = override?.body ?? (await readFile(join(options.datasetsDir, route.dataset, ...route.file.path.split('/'))));
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  };
  const server = createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://server').pathname;
    requests.push(pathname);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    response.once('close', () => (inFlight -= 1));
    answer(pathname, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
