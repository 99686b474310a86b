/** The benchmarks' results go into BENCHMARKS.md, one `## ` section each, rewritten by its benchmark. */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const benchmarksFile = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

/**
 * Replaces the section starting with `title` (a `## ` heading line) if BENCHMARKS.md has it, else
 * appends it; the rest of the file is kept. Returns the file's path.
 */
export async function writeBenchmarksSection(title: string, section: string): Promise<string> {
  const existing = await readFile(benchmarksFile, 'utf8').catch(() => '# Benchmarks\n');
  const start = existing.indexOf(title);
  let updated: string;
  if (start === -1) updated = `${existing.trimEnd()}\n\n${section}`;
  else {
    const next = existing.indexOf('\n## ', start + title.length);
    updated = `${existing.slice(0, start)}${section}${next === -1 ? '' : existing.slice(next + 1)}`;
  }
  await writeFile(benchmarksFile, updated);
  return benchmarksFile;
}
