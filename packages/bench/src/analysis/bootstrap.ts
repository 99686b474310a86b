/**
 * The percentile bootstrap: resample independent units with replacement, recompute a statistic on
 * each resample, and take the middle `confidence` share of the results as the interval.
 *
 * A unit is a vector of sums (for an accuracy: the correct answers and the rows of one context). A
 * resample draws as many units as there are, adds their vectors, and computes the statistic from
 * the totals, so ratios such as an accuracy over contexts of unequal size are recomputed as a
 * whole, not averaged per unit. A resample on which the statistic is undefined (NaN: a term with no
 * rows in it) is left out of the quantiles.
 */
import { createSeededRandom } from '../datasets/gsm-symbolic/seeded-random.js';

export interface BootstrapSettings {
  /** How many resamples. Default 2,000. */
  resamples: number;
  /** Share of the resampled statistics inside the interval. Default 0.95. */
  confidence: number;
  /** Seed of the generator; every interval starts from it, so it depends only on its own data. Default 0. */
  seed: number;
}

export type BootstrapOptions = Partial<BootstrapSettings>;

export const DEFAULT_BOOTSTRAP_SETTINGS: Readonly<BootstrapSettings> = { resamples: 2000, confidence: 0.95, seed: 0 };

/** The defaults with `options` over them, checked. */
export function bootstrapSettings(options: BootstrapOptions = {}): BootstrapSettings {
  const settings = { ...DEFAULT_BOOTSTRAP_SETTINGS, ...definedOnly(options) };
  if (!Number.isInteger(settings.resamples) || settings.resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${settings.resamples}`);
  if (!(settings.confidence > 0 && settings.confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, got ${settings.confidence}`);
  if (!Number.isInteger(settings.seed)) throw new RangeError(`seed must be an integer, got ${settings.seed}`);
  return settings;
}

export interface Interval {
  lower: number;
  upper: number;
}

/**
 * The percentile interval of `statistic` over resamples of `units` (each a vector of the same
 * length). Null when there are no units or the statistic is undefined on every resample.
 */
export function bootstrapInterval(
  units: ReadonlyArray<readonly number[]>,
  statistic: (totals: Float64Array) => number,
  settings: BootstrapSettings = DEFAULT_BOOTSTRAP_SETTINGS,
): Interval | null {
  const count = units.length;
  if (count === 0) return null;
  const width = (units[0] as readonly number[]).length;
  const flat = new Float64Array(count * width);
  units.forEach((unit, index) => {
    if (unit.length !== width) throw new RangeError('every unit must have the same number of sums');
    flat.set(unit, index * width);
  });
  if (!Number.isInteger(settings.seed)) throw new RangeError(`seed must be an integer, got ${settings.seed}`);
  // The bench's one seeded generator (the GSM-Symbolic instances use it too), on a stream of its own.
  const random = createSeededRandom(`bootstrap:${settings.seed}`);
  const totals = new Float64Array(width);
  const values: number[] = [];
  for (let resample = 0; resample < settings.resamples; resample += 1) {
    totals.fill(0);
    for (let draw = 0; draw < count; draw += 1) {
      const offset = random.nextIndex(count) * width;
      for (let part = 0; part < width; part += 1) totals[part] = (totals[part] as number) + (flat[offset + part] as number);
    }
    const value = statistic(totals);
    if (!Number.isNaN(value)) values.push(value);
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const tail = (1 - settings.confidence) / 2;
  return { lower: quantile(values, tail), upper: quantile(values, 1 - tail) };
}

/** The `probability` quantile of sorted values, interpolated between the two nearest (R's type 7). */
export function quantile(sorted: readonly number[], probability: number): number {
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  const low = sorted[below] as number;
  return low + (position - below) * ((sorted[above] as number) - low);
}

function definedOnly(options: BootstrapOptions): BootstrapOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
