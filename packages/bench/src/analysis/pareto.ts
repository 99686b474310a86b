/**
 * Pareto fronts of (test-time tokens, accuracy) points and reading them at a given accuracy or a
 * given number of tokens.
 *
 * Between two consecutive points of a front we interpolate linearly. That is not a guess about an
 * untested budget: answering a fraction `f` of the queries with one configuration and the rest with
 * the other reaches, in expectation, exactly the point `f` of the way along the segment, so every
 * point on the segment is achievable with the configurations measured.
 */

export interface TokenAccuracyPoint {
  /** Average generated test-time tokens per query. */
  tokens: number;
  accuracy: number;
}

/**
 * The points no other point beats: sorted by tokens, each strictly more accurate than the one
 * before (the best accuracy reachable with at most that many tokens). Of points with equal tokens
 * only the most accurate can be on the front; of exact duplicates, the first.
 */
export function paretoFront<Point extends TokenAccuracyPoint>(points: readonly Point[]): Point[] {
  const sorted = points
    .map((point, index) => ({ point, index }))
    .sort((a, b) => a.point.tokens - b.point.tokens || b.point.accuracy - a.point.accuracy || a.index - b.index);
  const front: Point[] = [];
  for (const { point } of sorted) {
    const last = front[front.length - 1];
    if (last === undefined || point.accuracy > last.accuracy) front.push(point);
  }
  return front;
}

/**
 * How the tokens needed for an accuracy were read off a front:
 * - `measured`: a point of the front has exactly that accuracy;
 * - `interpolated`: between two points of the front;
 * - `at-most`: even the cheapest point is more accurate, so no more than its tokens are needed
 *   (fewer might do; nothing cheaper was measured);
 * - `not-reached`: no point of the front is that accurate.
 */
export type ReadingKind = 'measured' | 'interpolated' | 'at-most' | 'not-reached';

/** A point of a front a reading was taken from, with its share of the reading (two points: a mix). */
export interface FrontShare<Point extends TokenAccuracyPoint = TokenAccuracyPoint> {
  point: Point;
  /** The reading's accuracy and tokens are the weighted sums over its shares; the weights add up to 1. */
  weight: number;
}

export interface TokensForAccuracy<Point extends TokenAccuracyPoint = TokenAccuracyPoint> {
  /** null when the accuracy is not reached. */
  tokens: number | null;
  reading: ReadingKind;
  /**
   * The front points read: the measured point, the two around an interpolated reading, the
   * cheapest point for `at-most`, and for `not-reached` the most accurate point (the best there is).
   */
  from: Array<FrontShare<Point>>;
}

/** The fewest tokens at which `front` (from `paretoFront`) reaches `accuracy`. */
export function tokensToReachAccuracy<Point extends TokenAccuracyPoint>(front: readonly Point[], accuracy: number): TokensForAccuracy<Point> {
  const first = front[0];
  if (first === undefined) return { tokens: null, reading: 'not-reached', from: [] };
  if (accuracy < first.accuracy) return { tokens: first.tokens, reading: 'at-most', from: [{ point: first, weight: 1 }] };
  for (let index = 0; index < front.length; index += 1) {
    const point = front[index] as Point;
    if (point.accuracy === accuracy) return { tokens: point.tokens, reading: 'measured', from: [{ point, weight: 1 }] };
    const next = front[index + 1];
    if (next !== undefined && point.accuracy < accuracy && accuracy < next.accuracy) {
      const fraction = (accuracy - point.accuracy) / (next.accuracy - point.accuracy);
      return {
        tokens: point.tokens + fraction * (next.tokens - point.tokens),
        reading: 'interpolated',
        from: [
          { point, weight: 1 - fraction },
          { point: next, weight: fraction },
        ],
      };
    }
  }
  return { tokens: null, reading: 'not-reached', from: [{ point: front[front.length - 1] as Point, weight: 1 }] };
}

export interface AccuracyAtTokens<Point extends TokenAccuracyPoint = TokenAccuracyPoint> {
  /** null when the front has no point at or below that many tokens. */
  accuracy: number | null;
  reading: 'measured' | 'interpolated' | 'best-below' | 'below-front';
  /** The front points read (none for `below-front`), as in `TokensForAccuracy`. */
  from: Array<FrontShare<Point>>;
}

/**
 * The accuracy `front` reaches with `tokens` tokens a query: at a point, interpolated between two,
 * or beyond the dearest point that point's accuracy (`best-below`: it needs fewer tokens).
 */
export function accuracyAtTokens<Point extends TokenAccuracyPoint>(front: readonly Point[], tokens: number): AccuracyAtTokens<Point> {
  const first = front[0];
  if (first === undefined || tokens < first.tokens) return { accuracy: null, reading: 'below-front', from: [] };
  for (let index = 0; index < front.length; index += 1) {
    const point = front[index] as Point;
    if (point.tokens === tokens) return { accuracy: point.accuracy, reading: 'measured', from: [{ point, weight: 1 }] };
    const next = front[index + 1];
    if (next === undefined) return { accuracy: point.accuracy, reading: 'best-below', from: [{ point, weight: 1 }] };
    if (point.tokens < tokens && tokens < next.tokens) {
      const fraction = (tokens - point.tokens) / (next.tokens - point.tokens);
      return {
        accuracy: point.accuracy + fraction * (next.accuracy - point.accuracy),
        reading: 'interpolated',
        from: [
          { point, weight: 1 - fraction },
          { point: next, weight: fraction },
        ],
      };
    }
  }
  return { accuracy: null, reading: 'below-front', from: [] };
}
