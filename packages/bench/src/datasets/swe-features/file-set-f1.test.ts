/** The F1 of edited files against gold files. */
import { describe, expect, it } from 'vitest';
import { fileSetF1, normalizeFilePath } from './file-set-f1.js';
import { isTestPath } from './path-kinds.js';

describe('fileSetF1', () => {
  it('scores precision, recall and their harmonic mean', () => {
    // 2 of 3 edited are gold; 2 of 4 gold were edited: P = 2/3, R = 1/2, F1 = 2PR/(P+R) = 4/7.
    const score = fileSetF1(['a.ts', 'b.ts', 'x.ts'], ['a.ts', 'b.ts', 'c.ts', 'd.ts']);
    expect(score).toMatchObject({ truePositives: 2, edited: 3, gold: 4 });
    expect(score.precision).toBeCloseTo(2 / 3, 12);
    expect(score.recall).toBeCloseTo(1 / 2, 12);
    expect(score.f1).toBeCloseTo(4 / 7, 12);
  });

  it('is 1 for the same set, 0 for disjoint sets', () => {
    expect(fileSetF1(['b.ts', 'a.ts'], ['a.ts', 'b.ts'])).toEqual({ precision: 1, recall: 1, f1: 1, truePositives: 2, edited: 2, gold: 2 });
    expect(fileSetF1(['x.ts'], ['a.ts'])).toEqual({ precision: 0, recall: 0, f1: 0, truePositives: 0, edited: 1, gold: 1 });
  });

  it('handles empty sets: nothing to do and nothing done is 1, one side empty is 0', () => {
    expect(fileSetF1([], [])).toEqual({ precision: 1, recall: 1, f1: 1, truePositives: 0, edited: 0, gold: 0 });
    expect(fileSetF1([], ['a.ts'])).toEqual({ precision: 0, recall: 0, f1: 0, truePositives: 0, edited: 0, gold: 1 });
    expect(fileSetF1(['a.ts'], [])).toEqual({ precision: 0, recall: 0, f1: 0, truePositives: 0, edited: 1, gold: 0 });
  });

  it('compares normalized paths, counts duplicates once, and can leave test files out on both sides', () => {
    expect(fileSetF1(['./src/a.ts', 'src\\a.ts', 'src//b.ts'], ['src/a.ts', 'src/b.ts']).f1).toBe(1);
    const withTests = fileSetF1(['src/a.ts', 'test/a.test.ts'], ['src/a.ts', 'test/b.test.ts']);
    expect(withTests.f1).toBe(0.5);
    expect(fileSetF1(['src/a.ts', 'test/a.test.ts'], ['src/a.ts', 'test/b.test.ts'], { exclude: isTestPath })).toMatchObject({ f1: 1, edited: 1, gold: 1 });
    expect(normalizeFilePath(' ././src/x.ts ')).toBe('src/x.ts');
  });
});
