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

const externalPackages = ['@sleeptime/llama', 'better-sqlite3', 'graphile-worker', 'node-llama-cpp', 'pg', 'vega', 'vega-lite'];

const result = await build({
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
  metafile: true,
  logLevel: 'warning',
});

/**
 * What every command loads before it runs: main.js and the chunks it imports statically. Checked
 * here so that a static import of something heavy (the AI SDK, a provider, the HTTP server, the
 * benchmark suite) cannot slip into the start-up path unnoticed: those load when a command needs them.
 */
const notAtStartUp = [/node_modules\/ai\//, /node_modules\/@ai-sdk\/(openai|anthropic|openai-compatible|gateway)\//, /node_modules\/(@hono\/node-server|hono)\//, /node_modules\/diff\//, /^packages\/bench\//, /^packages\/service\/src\/server\/app\.ts$/];
const outputs = result.metafile.outputs;
const startUp = new Set();
for (const pending = [Object.keys(outputs).find((file) => file.endsWith('dist/main.js'))]; pending.length > 0; ) {
  const file = pending.pop();
  if (file === undefined || startUp.has(file)) continue;
  startUp.add(file);
  for (const imported of outputs[file].imports) if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
}
const loadedAtStartUp = [...startUp].flatMap((file) => Object.keys(outputs[file].inputs));
const offenders = loadedAtStartUp.filter((input) => notAtStartUp.some((pattern) => pattern.test(input)));
if (offenders.length > 0) {
  console.error(`bundle-cli: these modules would load on every sleeptime command; import them lazily (await import(...)) where they are used:\n  ${[...new Set(offenders)].slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
