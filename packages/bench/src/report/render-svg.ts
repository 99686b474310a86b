/**
 * SVG rendering: Vega-Lite specs through Vega's headless SVG renderer (no browser, no canvas, no
 * network: every spec carries its data inline), and plain SVG notes for figures without data.
 */
import type { TopLevelSpec } from 'vega-lite';
import { escapeXml } from './escape.js';

export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded here: Vega is large, and only drawing a figure needs it.
  const [{ loader: createLoader, parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  // Vega may load data and images by URL; the report's specs never do, and this loader makes sure
  // that a mistake shows up as an error rather than as a request leaving the machine.
  const offlineLoader = Object.assign(createLoader(), {
    load: (uri: string) => Promise.reject(new Error(`the report renders offline; it will not load ${uri}`)),
    sanitize: (uri: string) => Promise.reject(new Error(`the report renders offline; it will not load ${uri}`)),
  });
  const view = new View(parse(compile(spec).spec), { renderer: 'none', loader: offlineLoader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const NOTE_WIDTH = 720;
const NOTE_LINE_HEIGHT = 20;
const NOTE_CHARACTERS_PER_LINE = 92;

/** A figure-sized SVG that says why there is no chart, so it is never mistaken for an empty one. */
export function renderNoDataSvg(title: string, note: string): string {
  const lines = wrapText(note, NOTE_CHARACTERS_PER_LINE);
  const height = 70 + lines.length * NOTE_LINE_HEIGHT;
  const text = lines
    .map((line, index) => `<text x="24" y="${68 + index * NOTE_LINE_HEIGHT}" font-size="14" fill="#7a2e00">${escapeXml(line)}</text>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${NOTE_WIDTH}" height="${height}" viewBox="0 0 ${NOTE_WIDTH} ${height}" role="img" aria-label="${escapeXml(`${title}: ${note}`)}">` +
    `<rect x="1" y="1" width="${NOTE_WIDTH - 2}" height="${height - 2}" fill="#fff8f0" stroke="#d9a066" stroke-dasharray="6 4"/>` +
    `<text x="24" y="36" font-family="sans-serif" font-size="15" font-weight="bold" fill="#333">${escapeXml(title)}</text>` +
    `<g font-family="sans-serif">${text}</g>` +
    `</svg>`
  );
}

function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
