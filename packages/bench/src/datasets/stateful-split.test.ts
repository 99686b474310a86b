import { readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SleeptimeError } from '@sleeptime/core';
import { fixtureTemplates, writeDatasetFixtures } from './dataset-fixtures-test-support.js';
import { describeWithDatasets } from './datasets-test-support.js';
import { generateGsmSymbolic } from './gsm-symbolic/index.js';
import {
  isQuestionSentence,
  segmentSentences,
  splitAtQuestion,
  splitSentences,
  splitStateful,
} from './stateful-split.js';

/** The paper's split: cut after every '.'. */
function paperSplit(text: string): string[] {
  return text
    .split(/(?<=\.)/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

/** The paper's stateful split, as letta-ai/sleep-time-compute's create_stateful_gsm_symbolic.py makes it. */
function paperStatefulSplit(question: string): { context: string; query: string } {
  const pieces = question
    .split('.')
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '');
  return { context: `${pieces.slice(0, -1).join('. ').trim()}.`, query: pieces.at(-1) ?? '' };
}

/** The usual one-line splitter: cut after every '.', '?' or '!' followed by whitespace. */
function regexSplit(text: string): string[] {
  return text
    .split(/(?<=[.?!])\s+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
}

/** Whitespace-insensitive form, to compare reassembled text with the original. */
function squash(text: string): string {
  return text.replace(/\s+/g, '');
}

describe('splitSentences on text that breaks naive splitting', () => {
  // Every case here is split wrongly by the paper's split or by the usual regex (checked below).
  const trickyCases: Array<[string, string, string[]]> = [
    [
      'decimals',
      'John has 2.5 liters of water. He drinks 0.75 liters. How much is left?',
      ['John has 2.5 liters of water.', 'He drinks 0.75 liters.', 'How much is left?'],
    ],
    [
      'money with thousands and cents, money at a sentence end',
      'A sofa costs $1,234.50 at the store. Mary pays $2,000. How much change does she get?',
      ['A sofa costs $1,234.50 at the store.', 'Mary pays $2,000.', 'How much change does she get?'],
    ],
    [
      'titles before names',
      'Mr. Smith met Mrs. Jones and Dr. Brown on Elm St. Tuesday. How many people met?',
      ['Mr. Smith met Mrs. Jones and Dr. Brown on Elm St. Tuesday.', 'How many people met?'],
    ],
    [
      'e.g. and i.e. before a capital',
      'Bring a fruit, e.g. Apples, i.e. Anything sweet. How many kinds are there?',
      ['Bring a fruit, e.g. Apples, i.e. Anything sweet.', 'How many kinds are there?'],
    ],
    [
      'a.m. and p.m. mid-sentence',
      'The shop opens at 9 a.m. and closes at 5 p.m. on Mondays. How many hours is it open?',
      ['The shop opens at 9 a.m. and closes at 5 p.m. on Mondays.', 'How many hours is it open?'],
    ],
    [
      'U.S. mid-sentence',
      'He moved to the U.S. in 2010 with $300. How much did he have per year?',
      ['He moved to the U.S. in 2010 with $300.', 'How much did he have per year?'],
    ],
    [
      'an ellipsis',
      'She counted 1, 2, 3... Then she stopped at 9. What number comes next?',
      ['She counted 1, 2, 3... Then she stopped at 9.', 'What number comes next?'],
    ],
    [
      'numbered items',
      'Do these steps:\n1. Buy 3 eggs.\n2. Buy 4 apples.\nHow many items did you buy?',
      ['Do these steps:\n1. Buy 3 eggs.', '2. Buy 4 apples.', 'How many items did you buy?'],
    ],
    [
      'a period inside inline math',
      'Let $S=\\{1,2. 5\\}$ be a set. Find $|S|$.',
      ['Let $S=\\{1,2. 5\\}$ be a set.', 'Find $|S|$.'],
    ],
    [
      'a period inside \\( \\) and \\[ \\] math',
      'Assume \\(a. B\\) holds and \\[ c. D \\] too. Find $a$.',
      ['Assume \\(a. B\\) holds and \\[ c. D \\] too.', 'Find $a$.'],
    ],
    [
      'periods inside display math and environments',
      'Solve $$x = 1. Y = 2.$$ given \\begin{align*} a. B \\end{align*} here. Find $x$.',
      ['Solve $$x = 1. Y = 2.$$ given \\begin{align*} a. B \\end{align*} here.', 'Find $x$.'],
    ],
    [
      'an asy figure with code is never cut',
      'Points lie on a line.\n<asy>\nunitsize(0.1cm);\npair A = (0,0). B;\n</asy>\nFind $AB$.',
      ['Points lie on a line.', '<asy>\nunitsize(0.1cm);\npair A = (0,0). B;\n</asy>', 'Find $AB$.'],
    ],
    [
      'a decimal inside parentheses then a period',
      'She ran 3.5 km (about 2.2 mi.). He ran 4 km. How far did they run?',
      ['She ran 3.5 km (about 2.2 mi.).', 'He ran 4 km.', 'How far did they run?'],
    ],
  ];

  it.each(trickyCases)('%s', (_name, text, expected) => {
    expect(splitSentences(text)).toEqual(expected);
    const brokenBy = [paperSplit, regexSplit].filter(
      (split) => JSON.stringify(split(text)) !== JSON.stringify(expected),
    );
    expect(brokenBy.length).toBeGreaterThan(0);
  });
});

describe('splitSentences where a sentence must, or must not, end', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'money at a sentence end',
      'He paid $5. She paid $7. Who paid more?',
      ['He paid $5.', 'She paid $7.', 'Who paid more?'],
    ],
    [
      'dollar signs that are money, not math (pandoc rule)',
      'Prices went from $5 to $7. Then to $5-$10. What now?',
      ['Prices went from $5 to $7.', 'Then to $5-$10.', 'What now?'],
    ],
    [
      'escaped dollars',
      'He has \\$5. She has \\$7. What is the total?',
      ['He has \\$5.', 'She has \\$7.', 'What is the total?'],
    ],
    [
      'etc. ending a sentence',
      'She bought pears, plums, etc. The total was $12. Why?',
      ['She bought pears, plums, etc.', 'The total was $12.', 'Why?'],
    ],
    [
      'p.m. ending a sentence',
      'The shop closes at 5 p.m. How many hours is it open?',
      ['The shop closes at 5 p.m.', 'How many hours is it open?'],
    ],
    [
      'a unicode ellipsis',
      'He waited… Then he left at 4. How long did he wait?',
      ['He waited… Then he left at 4.', 'How long did he wait?'],
    ],
    [
      'a question inside quotes, then lowercase',
      '"Why?" he asked. She did not answer. Who asked?',
      ['"Why?" he asked.', 'She did not answer.', 'Who asked?'],
    ],
    [
      'a quote closing after the period, then lowercase',
      '"Stop." said Tom. Ann has 3 apples. How many apples are there?',
      ['"Stop." said Tom.', 'Ann has 3 apples.', 'How many apples are there?'],
    ],
    ['? and ! ends', 'Is it big? Yes! How big is it?', ['Is it big?', 'Yes!', 'How big is it?']],
    [
      'a period at the end of inline math',
      'Let $S=\\{1,2\\}.$ $4$ numbers are drawn from $S.$ Find $m+n$.',
      ['Let $S=\\{1,2\\}.$', '$4$ numbers are drawn from $S.$', 'Find $m+n$.'],
    ],
    [
      'a period at the end of display math',
      'Suppose $$x^2 = 10.$$ Find $x$.',
      ['Suppose $$x^2 = 10.$$', 'Find $x$.'],
    ],
    [
      'a quote closing after the period, then a capital',
      'Tom said, "I have 5 apples." Ann has 3. How many in all?',
      ['Tom said, "I have 5 apples."', 'Ann has 3.', 'How many in all?'],
    ],
    [
      'a sentence starting with a number',
      'Ann has 2 cats. 20 students came. How many came?',
      ['Ann has 2 cats.', '20 students came.', 'How many came?'],
    ],
    [
      'figs the fruit ends a sentence, Fig. before a number does not',
      'He has 70 figs. See Fig. 3 and Eq. (2) for more. How many figs are there?',
      ['He has 70 figs.', 'See Fig. 3 and Eq. (2) for more.', 'How many figs are there?'],
    ],
    [
      'a period after a closing parenthesis',
      'It is a torus (like a donut). Let $S$ be a sphere. Find $r$.',
      ['It is a torus (like a donut).', 'Let $S$ be a sphere.', 'Find $r$.'],
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    expect(splitSentences(text)).toEqual(expected);
  });
});

describe('segmentSentences', () => {
  it('gives offsets such that each segment is its slice of the text', () => {
    const text = '  A is 2.5 m.\n\nB is $3$.\n<asy>\ndraw(A--B);\n</asy>\n  Find $AB$.  ';
    const segments = segmentSentences(text);
    expect(segments.map((segment) => segment.kind)).toEqual(['sentence', 'sentence', 'figure', 'sentence']);
    for (const segment of segments) expect(text.slice(segment.start, segment.end)).toBe(segment.text);
  });

  it('marks display math or a table standing alone as display, not prose', () => {
    const text = 'The grid is an example.\n\n$$\n\\begin{array}{|c|} 1 \\\\ \\end{array}\n$$';
    expect(segmentSentences(text).map((segment) => segment.kind)).toEqual(['sentence', 'display']);
  });

  it('keeps newlines inside a sentence and does not cut at a blank line without a period', () => {
    const text = 'Walk at $s + \\frac{1}{2}$\nkm per hour such that\n\n* each cell has one chip\n\n* no more. Find it.';
    expect(splitSentences(text)).toEqual([
      'Walk at $s + \\frac{1}{2}$\nkm per hour such that\n\n* each cell has one chip\n\n* no more.',
      'Find it.',
    ]);
  });

  it('treats an unclosed math span as text rather than swallowing the rest', () => {
    expect(splitSentences('A costs $5. B costs $ 6. Find the sum.')).toEqual([
      'A costs $5.',
      'B costs $ 6.',
      'Find the sum.',
    ]);
  });

  it('returns nothing for blank text', () => {
    expect(segmentSentences(' \n\t ')).toEqual([]);
  });
});

describe('splitStateful', () => {
  it('holds back the last sentence and keeps the spacing inside sentences', () => {
    const text = 'Tom has  2.5 kg of flour.\nHe uses 0.5 kg per cake.   How many cakes can he bake?  \n';
    expect(splitStateful(text)).toEqual({
      context: 'Tom has  2.5 kg of flour.\nHe uses 0.5 kg per cake.',
      query: 'How many cakes can he bake?',
    });
  });

  it('gives an empty context and the whole text as the query for one sentence', () => {
    expect(splitStateful('  If Sam has 3 apples and eats 1, how many are left?\n')).toEqual({
      context: '',
      query: 'If Sam has 3 apples and eats 1, how many are left?',
    });
  });

  it('keeps a figure that follows the question in the context, not in the query', () => {
    const text = 'Points lie on a circle.\nFind $CE$.\n\n<asy>\ndraw(A--B);\n</asy>';
    expect(splitStateful(text)).toEqual({
      context: 'Points lie on a circle.\n\n<asy>\ndraw(A--B);\n</asy>',
      query: 'Find $CE$.',
    });
  });

  it('keeps a note that follows the question with it in the query (GSM-Symbolic p2/0027)', () => {
    const text =
      'Thomas receives 25 emails a day. 16% of those emails don\'t require any response. From the rest, Thomas can only ' +
      'respond to 2 less than the two-thirds of them. How many emails does Thomas respond to in a 3 day work week? ' +
      'Thomas work overtime on the last day so he can respond to 75% more emails than usual.';
    expect(splitStateful(text)).toEqual({
      context:
        'Thomas receives 25 emails a day. 16% of those emails don\'t require any response. From the rest, Thomas can only ' +
        'respond to 2 less than the two-thirds of them.',
      query:
        'How many emails does Thomas respond to in a 3 day work week? Thomas work overtime on the last day so he can ' +
        'respond to 75% more emails than usual.',
    });
  });

  it('keeps every note after the question, and an imperative question with its note', () => {
    expect(splitStateful('Emily peels 6 shrimps a minute. How long will 90 take? Note that she can\'t work in parallel. She rests 5 minutes.')).toEqual({
      context: 'Emily peels 6 shrimps a minute.',
      query: 'How long will 90 take? Note that she can\'t work in parallel. She rests 5 minutes.',
    });
    const text = 'Let $k$ be real. Find $m+n.$ Here $i=\\sqrt{-1}.$';
    expect(splitStateful(text)).toEqual({ context: 'Let $k$ be real.', query: 'Find $m+n.$ Here $i=\\sqrt{-1}.$' });
  });

  it('takes the last sentence alone when no sentence asks, or when a figure stands between it and the question', () => {
    expect(splitStateful('Ann has 3 cats. Bob has 2 dogs.')).toEqual({ context: 'Ann has 3 cats.', query: 'Bob has 2 dogs.' });
    const text = 'Points lie on a circle.\nFind $CE$.\n\n<asy>\ndraw(A--B);\n</asy>\n\nHere $C$ is the center.';
    expect(splitStateful(text).query).toBe('Here $C$ is the center.');
  });

  it('rejects empty text with a user error', () => {
    let caught: unknown;
    try {
      splitStateful('   \n ');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SleeptimeError);
    expect((caught as SleeptimeError).code).toBe('empty_text');
    expect((caught as SleeptimeError).category).toBe('user');
  });
});

describe('splitAtQuestion', () => {
  it('holds back the last asking sentence; a note after it stays in the context', () => {
    const text = 'Let $k$ be real. Find $m+n.$ Here $i=\\sqrt{-1}.$';
    expect(splitAtQuestion(text)).toEqual({ context: 'Let $k$ be real. Here $i=\\sqrt{-1}.$', query: 'Find $m+n.$' });
  });

  it('agrees with splitStateful when the last sentence asks', () => {
    const text = 'Ann has 3 cats. When she buys 2, she has more. How many cats does she have?';
    expect(splitAtQuestion(text)).toEqual(splitStateful(text));
    expect(splitAtQuestion(text).query).toBe('How many cats does she have?');
  });

  it('falls back to the last sentence when none asks', () => {
    expect(splitAtQuestion('Ann has 3 cats. Bob has 2 dogs.')).toEqual({
      context: 'Ann has 3 cats.',
      query: 'Bob has 2 dogs.',
    });
  });
});

describe('isQuestionSentence', () => {
  it.each([
    ['How many cats are there?', true],
    ['"Is it?"', true],
    ['Find $m+n$.', true],
    ['Compute the sum.', true],
    ['If its diagonals meet at the origin, find the largest number.', true],
    ['$\\bullet$ Find the mode.', true],
    ['When she walks at $s$ km per hour, the walk takes $4$ hours.', false],
    ['The probability is $\\frac{m}{n}$, where $m$ and $n$ are coprime.', false],
    ['Each player had a cone, which was greater than the others.', false],
    ['Findings were reported.', false],
  ])('%j -> %s', (sentence, expected) => {
    expect(isQuestionSentence(sentence)).toBe(expected);
  });
});

/** The original questions of the template files of a datasets folder. */
function templateQuestions(datasetsDir: string): Array<{ name: string; question: string }> {
  const templatesDir = join(datasetsDir, 'gsm-symbolic', 'templates');
  return ['p1', 'p2', 'symbolic'].flatMap((variant) =>
    readdirSync(join(templatesDir, variant)).map((file) => ({
      name: `${variant}/${file}`,
      question: (JSON.parse(readFileSync(join(templatesDir, variant, file), 'utf8')) as { question: string }).question,
    })),
  );
}

/** The query is the question at the end, and context + query rebuild the text. */
function expectGsmSplits(questions: Array<{ name: string; question: string }>): void {
  for (const { name, question } of questions) {
    const { context, query } = splitStateful(question);
    expect(question.trimEnd().endsWith(query), name).toBe(true);
    expect(squash(`${context}${query}`), name).toBe(squash(question));
    expect(isQuestionSentence(query), `${name}: ${query}`).toBe(true);
    // The context never ends mid-number or mid-abbreviation.
    if (context !== '') expect(context, name).toMatch(/[.?!]["”']?$/);
  }
}

describeWithDatasets('the splitter on real data', (datasets) => {
  const readProblem = (exam: string, number: number) =>
    readFileSync(join(datasets, 'aime', exam, 'problems', `${number}.tex`), 'utf8');

  it('AIME 2024 I 4: periods at the end of inline math, a sentence starting with math', () => {
    const sentences = splitSentences(readProblem('aime_2024_I', 4));
    expect(sentences).toHaveLength(5);
    expect(sentences[1]).toBe('$4$ numbers are randomly chosen from $S.$');
    expect(sentences[4]).toBe('Find $m+n$.');
  });

  it('AIME 2024 I 1: a line break mid-sentence stays inside the sentence', () => {
    const sentences = splitSentences(readProblem('aime_2024_I', 1));
    expect(sentences).toHaveLength(5);
    expect(sentences[3]).toBe('Suppose Aya walks at $s + \\frac{1}{2}$\nkilometers per hour.');
  });

  it('AIME 2024 I 5: the asy figure after the question is a figure segment, not the query', () => {
    const text = readProblem('aime_2024_I', 5);
    const segments = segmentSentences(text);
    expect(segments.at(-1)?.kind).toBe('figure');
    expect(segments.at(-1)?.text.startsWith('<asy>')).toBe(true);
    const split = splitStateful(text);
    expect(split.query).toBe('Find $CE$.');
    expect(split.context.endsWith('</asy>')).toBe(true);
  });

  it('AIME 2025 I 11: a figure between sentences is its own segment and nothing inside it is cut', () => {
    const segments = segmentSentences(readProblem('aime_2025_I', 11));
    expect(segments.map((segment) => segment.kind)).toEqual([
      'sentence', 'sentence', 'figure', 'sentence', 'sentence', 'sentence',
    ]);
    expect(segments[0]?.text.endsWith('for all real numbers $x.$')).toBe(true);
    expect(segments[5]?.text).toBe('Find $a + b + c + d.$');
  });

  it('AIME 2024 II 2: bullet items ending with periods are separate sentences', () => {
    const sentences = splitSentences(readProblem('aime_2024_II', 2));
    expect(sentences).toHaveLength(4);
    expect(sentences[1]).toBe('$\\bullet$ The unique mode of the list is $9$.');
  });

  it('AIME 2024 II 10: adjacent inline math spans ($\\triangle$$ABC$) are not display math', () => {
    expect(splitSentences(readProblem('aime_2024_II', 10))).toHaveLength(2);
  });

  // The public GSM-Symbolic templates' original questions: money, decimals, "Mr.", "Mrs.".
  let questions: Array<{ name: string; question: string }>;
  beforeAll(() => {
    questions = templateQuestions(datasets);
  });

  it('reads all 250 GSM-Symbolic template questions', () => {
    expect(questions).toHaveLength(250);
  });

  it('GSM: the query is the question at the end and context + query rebuild the text', () => {
    expectGsmSplits(questions);
  });

  // Listed in gsm-symbolic/README.md ("The stateful split against the paper's").
  it("GSM instances: the split differs from the paper's only where a title or a decimal is in the question", () => {
    const differing = new Set<string>();
    const withNote = new Set<string>();
    for (const variant of ['p1', 'p2', 'symbolic'] as const) {
      for (const instance of generateGsmSymbolic({ variant, perTemplate: 5, seed: 0, datasetsDir: datasets })) {
        const paper = paperStatefulSplit(instance.question);
        const same = (ours: string, theirs: string) => squash(ours).replace(/\.$/, '') === squash(theirs).replace(/\.$/, '');
        if (!same(instance.query, paper.query) || !same(instance.context, paper.context)) differing.add(instance.template);
        if (splitSentences(instance.query).length > 1) withNote.add(instance.template);
      }
    }
    expect([...differing].sort()).toEqual(['p1/0032', 'p1/0034', 'p1/0076', 'p2/0032', 'p2/0034', 'symbolic/0032', 'symbolic/0034', 'symbolic/0076']);
    // The questions followed by a note: the paper's split keeps the note with the question, and so does this one.
    expect([...withNote].sort()).toEqual(['p1/0048', 'p2/0027', 'p2/0048']);
  });

  it('GSM: decimals and titles survive where the paper split cuts them', () => {
    const cutByPaper = questions.filter(({ question }) => /\d\.\d|\b(?:Mr|Mrs|Dr)\./.test(question));
    expect(cutByPaper.length).toBeGreaterThan(20);
    for (const { name, question } of cutByPaper) {
      for (const sentence of splitSentences(question)) {
        expect(sentence, name).not.toMatch(/^\d/); // "5 liters..." would be a cut decimal
        expect(sentence, name).not.toMatch(/\b(?:Mr|Mrs|Dr)\.$/);
      }
    }
    const roper = questions.find(({ name }) => name === 'p1/0025.json')?.question ?? '';
    expect(splitSentences(roper)[0]).toMatch(/^In Mr\. Roper's class of 30 students, 20% of the class/);
  });
});

describe('the splitter on the fixture data', () => {
  let datasets: string;
  beforeAll(async () => {
    datasets = await writeDatasetFixtures();
  });
  afterAll(async () => {
    await rm(datasets, { recursive: true, force: true });
  });

  it('GSM: the query is the question at the end and context + query rebuild the text', () => {
    const questions = templateQuestions(datasets);
    expect(questions).toHaveLength(Object.keys(fixtureTemplates).length);
    expectGsmSplits(questions);
    // "$2.50." is money, not the end of a sentence at "$2.".
    expect(splitSentences(questions.find(({ name }) => name === 'symbolic/0001.json')?.question ?? '')[0]).toBe('A bottle of juice costs $2.50.');
  });

  it('AIME: the asy figure after the question is a figure segment, not the query', () => {
    const text = readFileSync(join(datasets, 'aime', 'aime_2024_I', 'problems', '2.tex'), 'utf8');
    expect(segmentSentences(text).map((segment) => segment.kind)).toEqual(['sentence', 'sentence', 'sentence', 'figure']);
    expect(splitStateful(text).query).toBe('Find the area of triangle $ABE$.');
  });
});
