import { describe, expect, it } from 'vitest';
import { createSeededRandom } from './seeded-random.js';

describe('createSeededRandom', () => {
  it('repeats its sequence for the same seed and changes it for another', () => {
    const draw = (seed: string) => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draw('gsm-symbolic:1:p1/0000')).toEqual(draw('gsm-symbolic:1:p1/0000'));
    expect(draw('gsm-symbolic:1:p1/0000')).not.toEqual(draw('gsm-symbolic:2:p1/0000'));
    expect(draw('gsm-symbolic:1:p1/0000')).not.toEqual(draw('gsm-symbolic:1:p1/0001'));
    expect(new Set(draw('x')).size).toBe(8);
  });

  it('draws floats in [0, 1) and indices uniformly', () => {
    const random = createSeededRandom('uniformity');
    const buckets = new Array<number>(10).fill(0);
    for (let draw = 0; draw < 20_000; draw += 1) {
      const float = random.nextFloat();
      expect(float >= 0 && float < 1).toBe(true);
      const index = random.nextIndex(10);
      buckets[index] = (buckets[index] as number) + 1;
    }
    // Each bucket expects 2000; 4 standard deviations is about 170.
    for (const count of buckets) expect(Math.abs(count - 2000)).toBeLessThan(200);
    expect(() => random.nextIndex(0)).toThrow(RangeError);
  });
});
