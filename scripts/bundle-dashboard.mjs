// Compiles the web dashboard (packages/service/dashboard: Preact, TypeScript) with esbuild into one
// JavaScript and one CSS file with content-hashed names and the page that loads them, and writes
// them as a module of strings, packages/service/src/dashboard/generated/dashboard-assets.js (for the
// sources, which tests and the CLI's bundle read) and the same file under dist/ (for the package).
// A module rather than files beside it: the CLI bundles the service, so a file found relative to
// the service's code would be looked for in the wrong folder. Takes well under a second.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const serviceDir = fileURLToPath(new URL('../packages/service/', import.meta.url));
const appDir = path.join(serviceDir, 'dashboard');

const result = await build({
  entryPoints: { app: path.join(appDir, 'src/main.tsx') },
  outdir: path.join(appDir, 'out'),
  entryNames: '[name]-[hash]',
  bundle: true,
  write: false,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});

const assets = {};
const types = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
for (const file of result.outputFiles) {
  const name = path.basename(file.path);
  const type = types[path.extname(name)];
  if (type === undefined) throw new Error(`bundle-dashboard: unexpected output ${name}`);
  assets[name] = { type, body: file.text };
}
const script = Object.keys(assets).find((name) => name.endsWith('.js'));
const style = Object.keys(assets).find((name) => name.endsWith('.css'));
if (script === undefined || style === undefined) throw new Error('bundle-dashboard: expected one script and one style sheet');
const page = readFileSync(path.join(appDir, 'index.html'), 'utf8')
  .replace('%SCRIPT%', `/ui/assets/${script}`)
  .replace('%STYLE%', `/ui/assets/${style}`);

const module = [
  '// Written by scripts/bundle-dashboard.mjs from packages/service/dashboard; do not edit.',
  `export const dashboardIndexHtml = ${JSON.stringify(page)};`,
  `export const dashboardAssets = Object.freeze(${JSON.stringify(assets)});`,
  '',
].join('\n');
for (const folder of ['src/dashboard/generated', 'dist/dashboard/generated']) {
  mkdirSync(path.join(serviceDir, folder), { recursive: true });
  writeFileSync(path.join(serviceDir, folder, 'dashboard-assets.js'), module);
}
// Its declaration goes along (tsc copies none), as every module of the package has one.
copyFileSync(path.join(serviceDir, 'src/dashboard/generated/dashboard-assets.d.ts'), path.join(serviceDir, 'dist/dashboard/generated/dashboard-assets.d.ts'));
