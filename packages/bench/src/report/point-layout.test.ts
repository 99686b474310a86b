import { describe, expect, it } from 'vitest';
import { accuracyToPixels, DODGE_SPACING, dodgedTokens, labelOffsets, pixelsToTokens, tokenAxis, tokensToPixels } from './point-layout.js';

const AREA = { width: 560, height: 330 };

describe('tokenAxis', () => {
  it('is logarithmic over whole decades when tokens span more than one, else linear from 0', () => {
    expect(tokenAxis([15, 24, 120, 360])).toEqual({ type: 'log', domain: [10, 1000] });
    expect(tokenAxis([40, 90])).toEqual({ type: 'linear', domain: [0, 100] });
    expect(tokenAxis([0, 300])).toEqual({ type: 'linear', domain: [0, 500] });
    expect(tokenAxis([])).toEqual({ type: 'linear', domain: [0, 1] });
  });

  it('maps tokens to pixels and back', () => {
    for (const axis of [tokenAxis([15, 360]), tokenAxis([40, 90])]) {
      expect(pixelsToTokens(axis, AREA, tokensToPixels(axis, AREA, 42))).toBeCloseTo(42, 9);
    }
    expect(tokensToPixels({ type: 'log', domain: [10, 1000] }, AREA, 100)).toBeCloseTo(280, 9);
  });
});

describe('dodgedTokens', () => {
  it('leaves apart points where they are', () => {
    const points = [
      { tokens: 20, accuracy: 0.5 },
      { tokens: 200, accuracy: 0.5 },
      { tokens: 20, accuracy: 0.9 },
    ];
    expect(dodgedTokens(points, tokenAxis([20, 200]), AREA)).toEqual([20, 200, 20]);
  });

  it('spreads coinciding points side by side, in order, around where they were', () => {
    const axis = tokenAxis([10, 1000]);
    const points = [
      { tokens: 120, accuracy: 0 },
      { tokens: 120, accuracy: 0 },
      { tokens: 121, accuracy: 0 },
      { tokens: 15, accuracy: 0 },
    ];
    const drawn = dodgedTokens(points, axis, AREA).map((tokens) => tokensToPixels(axis, AREA, tokens));
    const centre = tokensToPixels(axis, AREA, 120);
    expect(drawn[1]! - drawn[0]!).toBeCloseTo(DODGE_SPACING, 9);
    expect(drawn[2]! - drawn[1]!).toBeCloseTo(DODGE_SPACING, 9);
    expect((drawn[0]! + drawn[2]!) / 2).toBeCloseTo((2 * centre + tokensToPixels(axis, AREA, 121)) / 3, 9);
    expect(drawn[3]).toBeCloseTo(tokensToPixels(axis, AREA, 15), 9);
  });

  it('leaves no two points overlapping, also when spreading one group meets another', () => {
    const axis = tokenAxis([0, 100]);
    // Every 2 tokens (11 px) a pair of equal points: spread, each pair meets its neighbours.
    const points = Array.from({ length: 10 }, (_, index) => [{ tokens: 2 * index, accuracy: 0 }, { tokens: 2 * index, accuracy: 0 }]).flat();
    const drawn = dodgedTokens(points, axis, AREA).map((tokens) => tokensToPixels(axis, AREA, tokens));
    const sorted = [...drawn].sort((a, b) => a - b);
    // In order of tokens (then of drawing), as given.
    expect(drawn).toEqual(sorted);
    for (let index = 1; index < sorted.length; index += 1) expect(sorted[index]! - sorted[index - 1]!).toBeGreaterThanOrEqual(DODGE_SPACING - 1e-6);
    // Kept inside the plot.
    expect(sorted[0]).toBeGreaterThanOrEqual(0);
  });
});

describe('labelOffsets', () => {
  it('gives labels of coinciding points their own places, boxes apart', () => {
    const axis = tokenAxis([15, 360]);
    const labels = ['v0', 'k=1', 'v2', 'k=3'].map((text, index) => ({ tokens: 120, accuracy: 0, drawnTokens: 120 + index, text }));
    const offsets = labelOffsets(labels, axis, AREA);
    const boxes = labels.map((label, index) => {
      const x = tokensToPixels(axis, AREA, label.drawnTokens) + offsets[index]!.dx;
      const y = accuracyToPixels(AREA, label.accuracy) + offsets[index]!.dy;
      return { left: x, right: x + 6.2 * label.text.length, top: y - 10, bottom: y + 2 };
    });
    for (const [index, box] of boxes.entries()) {
      for (const other of boxes.slice(index + 1)) {
        expect(box.right <= other.left || other.right <= box.left || box.bottom <= other.top || other.bottom <= box.top).toBe(true);
      }
    }
    // The first stays just above its point.
    expect(offsets[0]).toEqual({ dx: 7, dy: -8 });
  });

  it('puts a label below its point at the top of the chart', () => {
    const [offset] = labelOffsets([{ tokens: 50, accuracy: 1, drawnTokens: 50, text: 'v4' }], tokenAxis([50]), AREA);
    expect(offset?.dy).toBeGreaterThan(0);
  });
});
