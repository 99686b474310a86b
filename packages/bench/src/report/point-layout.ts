/**
 * Where the points and labels of a tokens-against-accuracy chart go, in pixels, so that none hides
 * another. Results where every condition scores the same (all 0%, say) put many points on one
 * spot; drawn as measured, the last one covers the others and their labels print over each other.
 *
 * - Points that would overlap are dodged: drawn side by side, a point's width apart, in order of
 *   their tokens then of drawing, centred where they were (and kept inside the plot); see `dodgedTokens`.
 * - Labels are placed one by one, each at the first free slot above its point (then below), so no
 *   two labels share a box.
 *
 * The chart's x scale is fixed here (its domain chosen, Vega's "nice" rounding off) so that the
 * pixel positions worked out here are the ones Vega draws.
 */

/** A token axis: linear from 0, or logarithmic when tokens span more than a decade. */
export interface TokenAxis {
  type: 'linear' | 'log';
  domain: [number, number];
}

export interface ChartArea {
  width: number;
  height: number;
}

/** Pixels between the centres of two dodged points: a little more than a point's diameter. */
export const DODGE_SPACING = 9;
/** Points closer than this in height may overlap: they share a row, along which they are kept `DODGE_SPACING` apart. */
const OVERLAP = DODGE_SPACING;
/** Text of the point labels. */
const LABEL_FONT_SIZE = 10;
const LABEL_CHARACTER_WIDTH = 6.2;
const LABEL_DX = 7;
const LABEL_STEP = LABEL_FONT_SIZE + 2;

/** Log scale when tokens span more than a decade and none is 0 (a log scale cannot show 0). */
export function tokenAxis(tokens: readonly number[]): TokenAxis {
  const positive = tokens.filter((value) => value > 0);
  if (tokens.length > 0 && positive.length === tokens.length && Math.max(...tokens) / Math.min(...tokens) >= 10) {
    return { type: 'log', domain: [10 ** Math.floor(Math.log10(Math.min(...tokens))), 10 ** Math.ceil(Math.log10(Math.max(...tokens)))] };
  }
  return { type: 'linear', domain: [0, niceCeiling(Math.max(0, ...tokens))] };
}

export function tokensToPixels(axis: TokenAxis, area: ChartArea, tokens: number): number {
  const [low, high] = axis.domain;
  if (axis.type === 'log') return (area.width * Math.log(tokens / low)) / Math.log(high / low);
  return (area.width * (tokens - low)) / (high - low);
}

export function pixelsToTokens(axis: TokenAxis, area: ChartArea, pixels: number): number {
  const [low, high] = axis.domain;
  if (axis.type === 'log') return low * (high / low) ** (pixels / area.width);
  return low + (pixels / area.width) * (high - low);
}

/** y in pixels from the top, for an accuracy on a 0-1 axis. */
export function accuracyToPixels(area: ChartArea, accuracy: number): number {
  return area.height * (1 - accuracy);
}

export interface PlottedPoint {
  tokens: number;
  accuracy: number;
}

/**
 * The x, in tokens, at which to draw each point (same order as `points`): its own tokens, unless it
 * would overlap another, in which case the run of overlapping points is spread out side by side.
 *
 * Points at about the same height (within a point's width, chained) form a row. Along a row, in
 * order of x, each point starts a block; a block that would come closer than `DODGE_SPACING` to the
 * one before merges with it, and a block's points sit `DODGE_SPACING` apart, centred on the mean of
 * where they belong (kept inside the plot). Order along x is kept, and no two points end up closer.
 */
export function dodgedTokens(points: readonly PlottedPoint[], axis: TokenAxis, area: ChartArea): number[] {
  const xs = points.map((point) => tokensToPixels(axis, area, point.tokens));
  const ys = points.map((point) => accuracyToPixels(area, point.accuracy));
  const drawn = points.map((point) => point.tokens);
  for (const row of rowsOfSimilarHeight(ys)) {
    const ordered = [...row].sort((a, b) => (xs[a] as number) - (xs[b] as number) || a - b);
    const blocks: Array<{ members: number[]; sum: number }> = [];
    for (const index of ordered) {
      blocks.push({ members: [index], sum: xs[index] as number });
      while (blocks.length > 1) {
        const last = blocks[blocks.length - 1] as { members: number[]; sum: number };
        const previous = blocks[blocks.length - 2] as { members: number[]; sum: number };
        const previousEnd = blockStart(previous, area) + (previous.members.length - 1) * DODGE_SPACING;
        if (blockStart(last, area) - previousEnd >= DODGE_SPACING - 1e-9) break;
        previous.members.push(...last.members);
        previous.sum += last.sum;
        blocks.pop();
      }
    }
    for (const block of blocks) {
      if (block.members.length < 2) continue;
      const start = blockStart(block, area);
      block.members.forEach((index, position) => {
        drawn[index] = pixelsToTokens(axis, area, start + position * DODGE_SPACING);
      });
    }
  }
  return drawn;
}

/** Where a block's first point goes: its points centred on their mean, inside the plot. */
function blockStart(block: { members: number[]; sum: number }, area: ChartArea): number {
  const span = (block.members.length - 1) * DODGE_SPACING;
  return Math.min(Math.max(block.sum / block.members.length - span / 2, 0), Math.max(0, area.width - span));
}

/** Indexes grouped into rows: sorted by height, a point closer than a point's width to the one above joins its row. */
function rowsOfSimilarHeight(ys: readonly number[]): number[][] {
  const order = ys.map((_, index) => index).sort((a, b) => (ys[a] as number) - (ys[b] as number) || a - b);
  const rows: number[][] = [];
  order.forEach((index, position) => {
    const above = position === 0 ? undefined : (order[position - 1] as number);
    const row = rows[rows.length - 1];
    if (above !== undefined && row !== undefined && (ys[index] as number) - (ys[above] as number) < OVERLAP) row.push(index);
    else rows.push([index]);
  });
  return rows;
}

export interface LabelledPoint extends PlottedPoint {
  /** Drawn at this many tokens (after dodging). */
  drawnTokens: number;
  text: string;
}

/** Where a label goes, relative to its point, in pixels (Vega's text `dx` and `dy`). */
export interface LabelOffset {
  dx: number;
  dy: number;
}

/**
 * An offset for each label (same order), placed in that order: the first slot above the point
 * whose box meets no label placed before, else the first such slot below it.
 */
export function labelOffsets(labels: readonly LabelledPoint[], axis: TokenAxis, area: ChartArea): LabelOffset[] {
  const placed: Array<{ left: number; right: number; top: number; bottom: number }> = [];
  const slots = [...Array.from({ length: 8 }, (_, step) => -8 - step * LABEL_STEP), ...Array.from({ length: 8 }, (_, step) => 14 + step * LABEL_STEP)];
  return labels.map((label) => {
    const x = tokensToPixels(axis, area, label.drawnTokens) + LABEL_DX;
    const y = accuracyToPixels(area, label.accuracy);
    const width = Math.max(1, label.text.length) * LABEL_CHARACTER_WIDTH;
    const boxAt = (dy: number) => ({ left: x, right: x + width, top: y + dy - LABEL_FONT_SIZE, bottom: y + dy + 2 });
    const free = slots.filter((dy) => y + dy - LABEL_FONT_SIZE >= -LABEL_FONT_SIZE && y + dy <= area.height + 3 * LABEL_STEP);
    const dy =
      free.find((candidate) => {
        const box = boxAt(candidate);
        return placed.every((other) => box.right <= other.left || other.right <= box.left || box.bottom <= other.top || other.bottom <= box.top);
      }) ??
      free[free.length - 1] ??
      -8;
    placed.push(boxAt(dy));
    return { dx: LABEL_DX, dy };
  });
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (1 for 0). */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}
