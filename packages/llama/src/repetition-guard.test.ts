import { describe, expect, it } from 'vitest';
import { DEFAULT_LOOP_DETECTION, findTrailingLoop, LoopDetector } from './repetition-guard.js';

/** Feeds text to a detector in chunks of a few characters, as tokens arrive; returns where it stopped. */
function streamUntilLoop(text: string, chunkSize = 3): { stoppedAt: number | undefined; detector: LoopDetector } {
  const detector = new LoopDetector();
  for (let index = 0; index < text.length; index += chunkSize)
    if (detector.push(text.slice(index, index + chunkSize))) return { stoppedAt: index + chunkSize, detector };
  return { stoppedAt: undefined, detector };
}

const fruits = ['apples', 'pears', 'plums', 'figs', 'limes', 'kiwis', 'dates', 'grapes', 'melons', 'cherries', 'peaches'];
const colours = ['red', 'blue', 'green', 'yellow', 'white', 'black', 'brown'];

const markdownTable = [
  '| Item | Price | Quantity | Total |',
  '| --- | --- | --- | --- |',
  ...Array.from({ length: 30 }, (_, row) => `| item ${row + 1} | 0 | 0 | 0 |`),
].join('\n');

const legitimateTexts: Record<string, string> = {
  'a markdown table with a separator row and rows of zeros': markdownTable,
  'a wide table separator': `|${'---|'.repeat(40)}\n`,
  'a table row of forty zeros': `|${' 0 |'.repeat(40)}\n`,
  'a numbered list of similar lines': Array.from({ length: 60 }, (_, index) => `${index + 1}. Add ${index % 7} ${fruits[index % fruits.length]} to the ${colours[index % colours.length]} basket.`).join('\n'),
  'a table of numbers, 40 rows': Array.from({ length: 40 }, (_, week) => `| week ${week + 1} | ${week * 7} | ${week * 13 + 5} |`).join('\n'),
  'the same line in a short list': Array.from({ length: 6 }, () => '- [ ] check the total again').join('\n'),
  'an 80-character horizontal rule between paragraphs': `Intro paragraph.\n${'-'.repeat(80)}\nNext paragraph.\n${'='.repeat(80)}\n`,
  'a JSON array of fifty zeros': JSON.stringify({ counts: Array.from({ length: 50 }, () => 0) }),
  'deeply indented code': `function f() {\n${'  '.repeat(40)}return 1;\n}\n`,
  'a long decimal expansion': `1/3 = 0.${'3'.repeat(60)}...`,
  'prose': 'Ana buys 3 apples at 2 dollars each and pays with a 10 dollar bill. '.concat(
    'She gets 4 dollars back. Then she buys a pear for 1 dollar, so she has 3 dollars left. ',
    'The answer is 3.',
  ),
};

describe('the loop detector', () => {
  it.each(Object.entries(legitimateTexts))('lets legitimate repetitive text through: %s', (_, text) => {
    expect(findTrailingLoop(text)).toBeUndefined();
    expect(streamUntilLoop(text).stoppedAt).toBeUndefined();
  });

  it('stops "The answer is 2." said over and over, a few hundred characters in', () => {
    const loop = 'The answer is 2.\n';
    const { stoppedAt, detector } = streamUntilLoop(`Let me think. ${loop.repeat(500)}`);
    expect(stoppedAt).toBeDefined();
    expect(stoppedAt).toBeLessThan(400);
    expect(detector.loop?.span).toHaveLength(loop.length);
    expect(detector.loop?.repeats).toBeGreaterThanOrEqual(DEFAULT_LOOP_DETECTION.minRepeats);
  });

  it('stops a numbered list of one line ("1. The answer is 2.", "2. The answer is 2.", ...) within about a thousand characters', () => {
    const lines = Array.from({ length: 500 }, (_, index) => `${index + 1}. The answer is 2.\n`).join('');
    const { stoppedAt, detector } = streamUntilLoop(`Let me count.\n${lines}`);
    expect(stoppedAt).toBeGreaterThan(DEFAULT_LOOP_DETECTION.minCountingLoopChars);
    expect(stoppedAt).toBeLessThan(1200);
    // The span is the last period of the text, wherever the detector stopped within a line.
    expect(detector.loop?.span).toHaveLength('#. The answer is #.\n'.length);
    expect(detector.loop?.span).toContain('The answer is #.');
    expect(findTrailingLoop(lines, { ...DEFAULT_LOOP_DETECTION, minCountingRepeats: 0 })).toBeUndefined();
  });

  it('stops a long repeated sentence after four repeats', () => {
    const sentence = 'The memory says that Ana has ten dollars and that she buys three apples at two dollars each. ';
    expect(sentence.length).toBeGreaterThan(DEFAULT_LOOP_DETECTION.minLoopChars / 4);
    const text = `{"new_memory": "${sentence.repeat(4)}`;
    expect(findTrailingLoop(text)).toEqual({ span: expect.any(String), repeats: 4 });
    expect(findTrailingLoop(`{"new_memory": "${sentence.repeat(3)}`)).toBeUndefined();
  });

  it('stops degenerate runs of one character or two', () => {
    expect(findTrailingLoop(`Answer: ${'\n'.repeat(300)}`)?.span).toBe('\n');
    expect(findTrailingLoop(`x = ${'12'.repeat(140)}`)?.span).toBe('12');
    expect(findTrailingLoop(`x = ${'12'.repeat(120)}`)).toBeUndefined();
  });

  it('reports the shortest span and every whole repeat at the end', () => {
    expect(findTrailingLoop(`intro ${'abcdefgh'.repeat(40)}`)).toEqual({ span: 'abcdefgh', repeats: 40 });
  });

  it('does not look for spans longer than maxSpanChars', () => {
    const paragraph = 'x'.repeat(99).concat('.');
    const detection = { ...DEFAULT_LOOP_DETECTION, maxSpanChars: 50 };
    expect(findTrailingLoop(`${paragraph.slice(1)}y`.repeat(5), detection)).toBeUndefined();
    expect(findTrailingLoop(`${paragraph.slice(1)}y`.repeat(5))?.repeats).toBe(5);
  });

  it('finds a loop that streams in after a long legitimate start (the tail is trimmed, not the detection)', () => {
    const start = legitimateTexts['a numbered list of similar lines'] as string;
    const { stoppedAt } = streamUntilLoop(`${start.repeat(3)}\n${'Done. '.repeat(100)}`, 5);
    expect(stoppedAt).toBeDefined();
  });
});
