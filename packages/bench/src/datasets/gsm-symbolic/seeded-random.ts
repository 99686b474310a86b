/**
 * A small deterministic random source (xoshiro128**, seeded through a string hash and splitmix32),
 * so that the same seed gives the same instances on every machine and Node version. Math.random
 * is never used.
 */

export interface RandomSource {
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** A uniform integer in [0, count). */
  nextIndex(count: number): number;
}

/** Seeds a xoshiro128** generator from any string (e.g. `gsm-symbolic:7:p2/0003`). */
export function createSeededRandom(seed: string): RandomSource {
  let hash = hashString(seed);
  const next = (): number => {
    // splitmix32: spreads one 32-bit hash into four well-mixed state words.
    hash = (hash + 0x9e3779b9) >>> 0;
    let value = hash;
    value = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
    value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35);
    return (value ^ (value >>> 16)) >>> 0;
  };
  const state = new Uint32Array([next(), next(), next(), next()]);
  if (state.every((word) => word === 0)) state[0] = 1; // the all-zero state is a fixed point

  const nextUint32 = (): number => {
    const s0 = state[0] as number;
    const s1 = state[1] as number;
    const s2 = state[2] as number;
    const s3 = state[3] as number;
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
    const shifted = (s1 << 9) >>> 0;
    const t2 = (s2 ^ s0) >>> 0;
    const t3 = (s3 ^ s1) >>> 0;
    state[1] = s1 ^ t2;
    state[0] = s0 ^ t3;
    state[2] = t2 ^ shifted;
    state[3] = rotateLeft(t3, 11);
    return result;
  };

  const nextFloat = (): number => {
    const high = nextUint32() >>> 5; // 27 bits
    const low = nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  };

  const nextIndex = (count: number): number => {
    if (!Number.isInteger(count) || count <= 0) throw new RangeError(`cannot pick from ${count} items`);
    return Math.floor(nextFloat() * count);
  };

  return { nextUint32, nextFloat, nextIndex };
}

function rotateLeft(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

/** FNV-1a over the UTF-16 code units, then a final avalanche. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x7feb352d);
  hash ^= hash >>> 15;
  return hash >>> 0;
}
