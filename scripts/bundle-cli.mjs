// Bundles the `sleeptime` command into packages/cli/dist: one entry (main.js) with lazily loaded
// chunks, so that a command loads only what it uses. Start-up time is dominated by module loading
// (kysely alone is ~280 files), and one bundled file loads several times faster. Native and heavy
// packages stay external: they are the CLI package's dependencies and load only when needed.
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const cliDir = fileURLToPath(new URL('../packages/cli/', import.meta.url));
const outdir = `${cliDir}dist`;

// Old chunks have other hashes; dist/types is tsc's (declarations).
for (const entry of readdirSync(outdir, { withFileTypes: true })) {
  if (entry.name !== 'types' && !entry.name.endsWith('.tsbuildinfo')) rmSync(`${outdir}/${entry.name}`, { recursive: true, force: true });
}

export const externalPackages = ['@sleeptime/llama', 'better-sqlite3', 'graphile-worker', 'node-llama-cpp', 'pg', 'vega', 'vega-lite'];

await build({
  entryPoints: { main: `${cliDir}src/main.ts` },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Workspace packages are bundled from their sources.
  conditions: ['@sleeptime/source'],
  external: externalPackages,
  // Bundled CommonJS modules call require() for Node's built-ins.
  banner: { js: "import { createRequire as __sleeptimeCreateRequire } from 'node:module'; const require = __sleeptimeCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
