import { describe, expect, it } from 'vitest';
import { accuracyAtTokens, paretoFront, tokensToReachAccuracy } from './pareto.js';

describe('paretoFront', () => {
  it('keeps the points no cheaper point matches, cheapest first', () => {
    const points = [
      { tokens: 300, accuracy: 0.7, name: 'c' },
      { tokens: 100, accuracy: 0.5, name: 'a' },
      { tokens: 250, accuracy: 0.6, name: 'dominated by b' },
      { tokens: 200, accuracy: 0.65, name: 'b' },
      { tokens: 400, accuracy: 0.68, name: 'dominated by c' },
      { tokens: 150, accuracy: 0.4, name: 'dominated by a' },
    ];
    expect(paretoFront(points).map((point) => point.name)).toEqual(['a', 'b', 'c']);
  });

  it('of equal tokens keeps the most accurate, of exact duplicates the first', () => {
    const points = [
      { tokens: 100, accuracy: 0.5, name: 'low' },
      { tokens: 100, accuracy: 0.6, name: 'high' },
      { tokens: 200, accuracy: 0.8, name: 'first' },
      { tokens: 200, accuracy: 0.8, name: 'second' },
    ];
    expect(paretoFront(points).map((point) => point.name)).toEqual(['high', 'first']);
  });

  it('drops a dearer point of equal accuracy', () => {
    expect(paretoFront([{ tokens: 10, accuracy: 0.5 }, { tokens: 20, accuracy: 0.5 }])).toEqual([{ tokens: 10, accuracy: 0.5 }]);
  });

  it('is empty for no points', () => {
    expect(paretoFront([])).toEqual([]);
  });
});

describe('tokensToReachAccuracy', () => {
  const front = [
    { tokens: 100, accuracy: 0.4 },
    { tokens: 300, accuracy: 0.6 },
    { tokens: 700, accuracy: 0.8 },
  ];

  it('interpolates linearly between two points', () => {
    // 0.7 is half way from 0.6 to 0.8: half way from 300 to 700 tokens.
    expect(tokensToReachAccuracy(front, 0.7).tokens).toBeCloseTo(500, 9);
    expect(tokensToReachAccuracy(front, 0.7).reading).toBe('interpolated');
    expect(tokensToReachAccuracy(front, 0.45).tokens).toBeCloseTo(150, 9);
    // The two points around it, each with its share of the mix.
    const from = tokensToReachAccuracy(front, 0.7).from;
    expect(from.map((share) => share.point)).toEqual([front[1], front[2]]);
    expect(from[0]?.weight).toBeCloseTo(0.5, 12);
    expect(from[1]?.weight).toBeCloseTo(0.5, 12);
  });

  it('reads a point of the front exactly', () => {
    expect(tokensToReachAccuracy(front, 0.6)).toEqual({ tokens: 300, reading: 'measured', from: [{ point: front[1], weight: 1 }] });
  });

  it('gives the cheapest point as an upper bound below the front', () => {
    expect(tokensToReachAccuracy(front, 0.2)).toEqual({ tokens: 100, reading: 'at-most', from: [{ point: front[0], weight: 1 }] });
  });

  it('says when the accuracy is never reached', () => {
    // The best point there is, for comparison.
    expect(tokensToReachAccuracy(front, 0.9)).toEqual({ tokens: null, reading: 'not-reached', from: [{ point: front[2], weight: 1 }] });
    expect(tokensToReachAccuracy([], 0.1)).toEqual({ tokens: null, reading: 'not-reached', from: [] });
  });
});

describe('accuracyAtTokens', () => {
  const front = [
    { tokens: 100, accuracy: 0.4 },
    { tokens: 300, accuracy: 0.6 },
  ];

  it('interpolates, reads points, and holds the best accuracy beyond the front', () => {
    expect(accuracyAtTokens(front, 200).accuracy).toBeCloseTo(0.5, 12);
    expect(accuracyAtTokens(front, 200).reading).toBe('interpolated');
    expect(accuracyAtTokens(front, 200).from.map((share) => [share.point, share.weight])).toEqual([
      [front[0], 0.5],
      [front[1], 0.5],
    ]);
    expect(accuracyAtTokens(front, 100)).toEqual({ accuracy: 0.4, reading: 'measured', from: [{ point: front[0], weight: 1 }] });
    expect(accuracyAtTokens(front, 1000)).toEqual({ accuracy: 0.6, reading: 'best-below', from: [{ point: front[1], weight: 1 }] });
  });

  it('has no accuracy below the cheapest point', () => {
    expect(accuracyAtTokens(front, 50)).toEqual({ accuracy: null, reading: 'below-front', from: [] });
    expect(accuracyAtTokens([], 50)).toEqual({ accuracy: null, reading: 'below-front', from: [] });
  });
});
