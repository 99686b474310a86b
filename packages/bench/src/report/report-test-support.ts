/** Reading what a report shows, for the report tests. */
import type { TopLevelSpec } from 'vega-lite';

/** The text a reader sees on a page or in an SVG: tags and their attributes gone, text pieces joined by spaces, entities decoded. */
export function visibleText(markup: string): string {
  return markup
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** How many times `needle` occurs in `text`, with whitespace runs in both taken as one space. */
export function occurrences(text: string, needle: string): number {
  const haystack = text.replace(/\s+/g, ' ');
  const wanted = needle.replace(/\s+/g, ' ');
  let count = 0;
  for (let at = haystack.indexOf(wanted); at !== -1; at = haystack.indexOf(wanted, at + wanted.length)) count += 1;
  return count;
}

/** Every layer of a Vega-Lite spec, nested layers included, with the data it inherits. */
export function specLayers(spec: TopLevelSpec): Array<{ mark: unknown; encoding: Record<string, unknown>; values: Array<Record<string, unknown>> }> {
  const layers: Array<{ mark: unknown; encoding: Record<string, unknown>; values: Array<Record<string, unknown>> }> = [];
  const visit = (node: Record<string, unknown>, inherited: Array<Record<string, unknown>>, inheritedEncoding: Record<string, unknown>) => {
    const data = node.data as { values?: Array<Record<string, unknown>> } | undefined;
    const values = data?.values ?? inherited;
    const encoding = { ...inheritedEncoding, ...((node.encoding as Record<string, unknown> | undefined) ?? {}) };
    if (node.mark !== undefined) layers.push({ mark: node.mark, encoding, values });
    for (const child of (node.layer as Array<Record<string, unknown>> | undefined) ?? []) visit(child, values, encoding);
  };
  visit(spec as unknown as Record<string, unknown>, [], {});
  return layers;
}

/** The type of a layer's mark. */
export function markType(mark: unknown): string {
  return typeof mark === 'string' ? mark : String((mark as { type: string }).type);
}

/** Text marks Vega drew in an SVG: their text and where (its translate), empty labels left out. */
export function svgTextMarks(svg: string): Array<{ text: string; x: number; y: number }> {
  return [...svg.matchAll(/<text [^>]*aria-roledescription="text mark"[^>]*transform="translate\(([-\d.e]+),([-\d.e]+)\)"[^>]*>([^<]*)<\/text>/g)]
    .map((match) => ({ x: Number(match[1]), y: Number(match[2]), text: match[3] as string }))
    .filter((mark) => mark.text.trim() !== '');
}

/** Point symbols Vega drew in an SVG, with where. */
export function svgPoints(svg: string): Array<{ label: string; x: number; y: number }> {
  return [...svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="point" transform="translate\(([-\d.e]+),([-\d.e]+)\)"/g)].map((match) => ({
    label: match[1] as string,
    x: Number(match[2]),
    y: Number(match[3]),
  }));
}
