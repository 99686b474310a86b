/** Number formats shared by the HTML page, the markdown summary and the figure captions. */

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** A difference of two accuracies, in percentage points, always signed. */
export function formatPoints(difference: number): string {
  const points = difference * 100;
  const rounded = points.toFixed(1);
  return `${points >= 0 && rounded !== '-0.0' ? '+' : ''}${rounded === '-0.0' ? '0.0' : rounded} pp`;
}

export function formatTokens(tokens: number): string {
  if (tokens >= 100) return Math.round(tokens).toLocaleString('en-US');
  return String(Math.round(tokens * 10) / 10);
}

export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/** An accuracy interval, e.g. "8.3–58.3%". */
export function formatInterval(interval: { lower: number; upper: number }): string {
  return `${(interval.lower * 100).toFixed(1)}–${formatPercent(interval.upper)}`;
}

/** An interval of a difference of accuracies, e.g. "-3.0 to +12.0 pp". */
export function formatPointsInterval(interval: { lower: number; upper: number }): string {
  return `${formatPoints(interval.lower).replace(/ pp$/, '')} to ${formatPoints(interval.upper)}`;
}

/** "95%" for a confidence of 0.95. */
export function formatConfidence(confidence: number): string {
  return `${Number((confidence * 100).toFixed(1))}%`;
}
