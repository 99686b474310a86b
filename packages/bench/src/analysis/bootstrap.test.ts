import { describe, expect, it } from 'vitest';
import { bootstrapInterval, bootstrapSettings, DEFAULT_BOOTSTRAP_SETTINGS, quantile } from './bootstrap.js';

const ratio = (totals: Float64Array) => (totals[0] as number) / (totals[1] as number);

describe('quantile', () => {
  it('interpolates between the two nearest sorted values', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20], 0.25)).toBe(12.5);
    expect(quantile([4], 0.975)).toBe(4);
  });
});

describe('bootstrapInterval', () => {
  const halfRight = Array.from({ length: 100 }, (_, index) => [index % 2, 1]);

  it('is deterministic: the same units and seed give the same interval', () => {
    // Scores spread over [0, 1), so the quantiles can tell one seed's resamples from another's.
    const scores = Array.from({ length: 50 }, (_, index) => [(index * 0.6180339887) % 1, 1]);
    const first = bootstrapInterval(scores, ratio);
    expect(bootstrapInterval(scores, ratio)).toEqual(first);
    expect(bootstrapInterval(scores, ratio, { ...DEFAULT_BOOTSTRAP_SETTINGS, seed: 1 })).not.toEqual(first);
    expect(() => bootstrapInterval(scores, ratio, { ...DEFAULT_BOOTSTRAP_SETTINGS, seed: 0.5 })).toThrow(RangeError);
  });

  it('brackets a proportion about as wide as the normal approximation', () => {
    // 50 of 100 right: the standard error is 0.05, so a 95% interval is about 0.40 to 0.60.
    const interval = bootstrapInterval(halfRight, ratio);
    expect(interval?.lower).toBeGreaterThan(0.37);
    expect(interval?.lower).toBeLessThan(0.43);
    expect(interval?.upper).toBeGreaterThan(0.57);
    expect(interval?.upper).toBeLessThan(0.63);
    // A lower confidence gives a narrower interval.
    const narrow = bootstrapInterval(halfRight, ratio, { ...DEFAULT_BOOTSTRAP_SETTINGS, confidence: 0.5 });
    expect((narrow?.upper ?? 0) - (narrow?.lower ?? 0)).toBeLessThan((interval?.upper ?? 0) - (interval?.lower ?? 0));
  });

  it('is one point when every unit is the same, and null without units', () => {
    expect(bootstrapInterval(Array.from({ length: 20 }, () => [0, 1]), ratio)).toEqual({ lower: 0, upper: 0 });
    expect(bootstrapInterval([], ratio)).toBeNull();
  });

  it('recomputes the statistic from the totals, so units of unequal size weigh by their size', () => {
    // One unit of 1 right in 1, one of 0 right in 9: any resample's ratio is (a) / (a + 9b) for a + b = 2 draws.
    const interval = bootstrapInterval([[1, 1], [0, 9]], ratio, { ...DEFAULT_BOOTSTRAP_SETTINGS, confidence: 0.99 });
    expect(interval).toEqual({ lower: 0, upper: 1 });
    const middle = bootstrapInterval([[1, 1], [0, 9]], ratio, { ...DEFAULT_BOOTSTRAP_SETTINGS, confidence: 0.2 });
    // Half the resamples draw one of each: 1 / 10.
    expect(middle).toEqual({ lower: 0.1, upper: 0.1 });
  });

  it('leaves out resamples on which the statistic is undefined', () => {
    // Only resamples that drew the first unit have rows.
    const interval = bootstrapInterval([[1, 1], [0, 0]], ratio);
    expect(interval).toEqual({ lower: 1, upper: 1 });
    expect(bootstrapInterval([[0, 0]], ratio)).toBeNull();
  });

  it('checks its settings', () => {
    expect(bootstrapSettings()).toEqual({ resamples: 2000, confidence: 0.95, seed: 0 });
    expect(bootstrapSettings({ resamples: 500, confidence: undefined })).toEqual({ resamples: 500, confidence: 0.95, seed: 0 });
    expect(() => bootstrapSettings({ resamples: 0 })).toThrow(RangeError);
    expect(() => bootstrapSettings({ confidence: 1 })).toThrow(RangeError);
    expect(() => bootstrapSettings({ seed: 1.5 })).toThrow(RangeError);
    expect(() => bootstrapInterval([[1], [1, 2]], ratio)).toThrow(RangeError);
  });
});
