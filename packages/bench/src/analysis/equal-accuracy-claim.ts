/**
 * When the data support a token-saving headline. A reading off test-time only's Pareto front turns
 * any two accuracies into a ratio of tokens, even when both are 0% or rest on six items; these
 * rules decide whether that ratio may be stated:
 *
 * - "for the same accuracy" (the reading is `measured`, `interpolated` or `at-most`): sleep-time's
 *   accuracy is at least the floor (default 10%: below it, "the same accuracy" mostly means "both
 *   fail"), every cell compared has at least the minimum number of contexts (default 30), and the
 *   interval of sleep-time's accuracy overlaps the interval of the accuracy read off the front;
 * - "test-time only never reaches it" (`not-reached`): the minimum number of contexts, and the
 *   interval of sleep-time's accuracy lies wholly above that of test-time only's best point.
 */
import type { AccuracyInterval } from './accuracy-intervals.js';
import type { Interval } from './bootstrap.js';
import type { ReadingKind } from './pareto.js';

export interface ClaimRules {
  /** Lowest accuracy at which "the same accuracy" is claimed. Default 0.1. */
  accuracyFloor: number;
  /** Fewest contexts (items, on a single-question dataset) in each compared cell. Default 30. */
  minimumContexts: number;
}

export type ClaimRuleOptions = Partial<ClaimRules>;

export const DEFAULT_CLAIM_RULES: Readonly<ClaimRules> = { accuracyFloor: 0.1, minimumContexts: 30 };

/** The defaults with `options` over them, checked. */
export function claimRules(options: ClaimRuleOptions = {}): ClaimRules {
  const rules = {
    accuracyFloor: options.accuracyFloor ?? DEFAULT_CLAIM_RULES.accuracyFloor,
    minimumContexts: options.minimumContexts ?? DEFAULT_CLAIM_RULES.minimumContexts,
  };
  if (!(rules.accuracyFloor >= 0 && rules.accuracyFloor <= 1)) throw new RangeError(`accuracyFloor must be between 0 and 1, got ${rules.accuracyFloor}`);
  if (!Number.isInteger(rules.minimumContexts) || rules.minimumContexts < 1)
    throw new RangeError(`minimumContexts must be a positive integer, got ${rules.minimumContexts}`);
  return rules;
}

/** Why a claim is not made. */
export type ClaimObstacle =
  /** A compared cell has fewer contexts than the rules ask. */
  | 'too-few-contexts'
  /** Sleep-time's accuracy is under the floor. */
  | 'below-floor'
  /** "The same accuracy", but the intervals do not overlap (test-time only is clearly more accurate). */
  | 'intervals-apart'
  /** "Never reaches it", but the intervals overlap: the data do not tell the two apart. */
  | 'intervals-overlap'
  /** Nothing was read off test-time only's front. */
  | 'no-comparison';

export interface ClaimJudgement {
  /** What would be claimed: equal accuracy with fewer tokens, or an accuracy test-time only never reaches. */
  claim: 'same-accuracy' | 'never-reached';
  supported: boolean;
  /** Empty when supported. */
  obstacles: ClaimObstacle[];
  /** The fewest contexts among the cells compared. */
  contexts: number;
}

export interface ClaimEvidence {
  reading: ReadingKind;
  sleepTime: { accuracy: number; interval: AccuracyInterval };
  /** The accuracy read off test-time only's front and its interval (see `TokenReduction`); null when nothing was read. */
  testTimeOnly: { accuracy: number; interval: AccuracyInterval } | null;
}

export function judgeTokenReduction(evidence: ClaimEvidence, rules: ClaimRules = DEFAULT_CLAIM_RULES): ClaimJudgement {
  const claim = evidence.reading === 'not-reached' ? 'never-reached' : 'same-accuracy';
  const baseline = evidence.testTimeOnly;
  const contexts = Math.min(evidence.sleepTime.interval.contexts, baseline?.interval.contexts ?? 0);
  const obstacles: ClaimObstacle[] = [];
  if (baseline === null) obstacles.push('no-comparison');
  if (contexts < rules.minimumContexts) obstacles.push('too-few-contexts');
  if (claim === 'same-accuracy') {
    if (evidence.sleepTime.accuracy < rules.accuracyFloor) obstacles.push('below-floor');
    if (baseline !== null && !intervalsOverlap(evidence.sleepTime.interval, baseline.interval)) obstacles.push('intervals-apart');
  } else if (baseline !== null && intervalsOverlap(evidence.sleepTime.interval, baseline.interval)) {
    obstacles.push('intervals-overlap');
  }
  return { claim, supported: obstacles.length === 0, obstacles, contexts };
}

/** Two closed intervals share at least one point. */
export function intervalsOverlap(a: Interval, b: Interval): boolean {
  return a.lower <= b.upper && b.lower <= a.upper;
}

/**
 * The floor and the sample rule alone, for comparisons that claim no equality (a cost ratio at the
 * same test-time budget): `too-few-contexts` and `below-floor` as in `judgeTokenReduction`.
 */
export function sampleObstacles(
  sleepTime: { accuracy: number; interval: AccuracyInterval },
  baseline: { interval: AccuracyInterval },
  rules: ClaimRules = DEFAULT_CLAIM_RULES,
): ClaimObstacle[] {
  const obstacles: ClaimObstacle[] = [];
  if (Math.min(sleepTime.interval.contexts, baseline.interval.contexts) < rules.minimumContexts) obstacles.push('too-few-contexts');
  if (sleepTime.accuracy < rules.accuracyFloor) obstacles.push('below-floor');
  return obstacles;
}
