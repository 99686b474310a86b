/**
 * A seeded pseudo-random generator (mulberry32: 32 bits of state, uniform in [0, 1)), so a
 * bootstrap drawn with the same seed gives the same interval on every machine and every run.
 * Math.random cannot be seeded; statistical quality beyond "uniform and decorrelated enough for
 * resampling" is not needed here.
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
