import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:packages`: packs the workspace packages and installs the tarballs in fresh npm
 * projects outside the repository. Slow (npm installs, better-sqlite3 may compile from source), so
 * it is not part of `npm test`; `.ci/run` runs it after the unit tests.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['tests/packaging/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 10 * 60_000,
    hookTimeout: 20 * 60_000,
  },
});
