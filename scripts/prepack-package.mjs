// Run by `npm pack` / `npm publish` in a package folder: packs need the repository's LICENSE, and
// a package's dist/ must exist (build the workspace first: `npm run build` at the root).
import { copyFileSync, existsSync } from 'node:fs';

copyFileSync(new URL('../LICENSE', import.meta.url), 'LICENSE');
if (!existsSync('dist')) {
  console.error(`prepack: ${process.cwd()}/dist is missing; run "npm run build" at the repository root first`);
  process.exit(1);
}
