import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const workspacePackages = ['core', 'llama', 'service', 'bench'];

/**
 * Tests run on the sources: `@sleeptime/<name>[/<entry>]` resolves to the file its package's
 * `exports` names under the "@sleeptime/source" condition, so a test never sees a stale build.
 */
function sourceAliases() {
  return workspacePackages.flatMap((folder) => {
    const directory = new URL(`./packages/${folder}/`, import.meta.url);
    const manifest = JSON.parse(readFileSync(new URL('package.json', directory), 'utf8')) as {
      name: string;
      exports: Record<string, string | Record<string, string>>;
    };
    return Object.entries(manifest.exports).flatMap(([entry, target]) => {
      const source = typeof target === 'object' ? target['@sleeptime/source'] : undefined;
      if (source === undefined) return [];
      const specifier = entry === '.' ? manifest.name : `${manifest.name}/${entry.slice(2)}`;
      return [{ find: new RegExp(`^${specifier.replace(/[/.]/g, '\\$&')}$`), replacement: fileURLToPath(new URL(source, directory)) }];
    });
  });
}

export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'benchmarks/**/*.test.ts'],
    // node-llama-cpp and better-sqlite3 are native addons: separate processes keep them isolated.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
