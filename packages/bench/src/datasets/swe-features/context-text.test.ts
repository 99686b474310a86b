/** The context text's bounds: description, files listed, and the total. */
import { describe, expect, it } from 'vitest';
import { renderContext } from './context-text.js';
import type { SweFeaturesContextPullRequest } from './swe-features-types.js';

const pullRequest = (number: number, date: string, body = 'A description.'): SweFeaturesContextPullRequest => ({
  commit: `${number}`.padStart(40, '0'),
  pullRequest: number,
  title: `Change ${number}`,
  body,
  date,
  files: [{ path: `src/f${number}.ts`, added: 3, removed: 1 }],
  moreFiles: 2,
});

describe('renderContext', () => {
  it('lists the pull requests oldest first, whatever order of relevance they come in', () => {
    const { text, kept } = renderContext('app', [pullRequest(2, '2024-02-01T00:00:00Z'), pullRequest(1, '2024-01-01T00:00:00Z')]);
    expect(kept.map((entry) => entry.pullRequest)).toEqual([1, 2]);
    expect(text).toBe(
      [
        'Earlier changes to app, oldest first:',
        '',
        '## Pull request #1: Change 1',
        'Date 2024-01-01, commit 0000000000.',
        '',
        'A description.',
        '',
        'Files changed (lines added, removed):',
        '- src/f1.ts (+3 -1)',
        '- and 2 more files',
        '',
        '## Pull request #2: Change 2',
        'Date 2024-02-01, commit 0000000000.',
        '',
        'A description.',
        '',
        'Files changed (lines added, removed):',
        '- src/f2.ts (+3 -1)',
        '- and 2 more files',
      ].join('\n'),
    );
  });

  it('drops the least related first to stay under the total, and shortens the last one left', () => {
    const entries = [pullRequest(1, '2024-03-01T00:00:00Z'), pullRequest(2, '2024-01-01T00:00:00Z'), pullRequest(3, '2024-02-01T00:00:00Z')];
    const two = renderContext('app', entries, { bodyCharacters: 1500, filesListed: 30, totalCharacters: 400 });
    expect(two.kept.map((entry) => entry.pullRequest)).toEqual([2, 1]);
    expect(two.text.length).toBeLessThanOrEqual(400);
    const long = renderContext('app', [pullRequest(1, '2024-01-01T00:00:00Z', 'x'.repeat(5000))], { bodyCharacters: 1500, filesListed: 30, totalCharacters: 1000 });
    expect(long.text.length).toBeLessThanOrEqual(1000);
    expect(long.text).toContain('## Pull request #1: Change 1');
    expect(long.kept[0]?.body.endsWith('…')).toBe(true);
    expect(renderContext('app', [])).toEqual({ text: '', kept: [] });
  });
});
