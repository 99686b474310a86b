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
