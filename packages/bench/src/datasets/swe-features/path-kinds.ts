/**
 * Which changed files are tests and which are source code, by path alone (documented in the README):
 * the rules that pick feature commits and flag the test files of a gold set.
 */

// Folders whose files are tests, fixtures or test helpers.
const testFolder = /(^|\/)(tests?|__tests__|specs?|testing|testdata|test-data|e2e|fixtures|__mocks__|__snapshots__)\//i;
// File names of tests across ecosystems: x.test.ts, x.spec.js, x_test.go, test_x.py, XTest.java, conftest.py.
const testFileName = /([._-](test|spec)s?\.[^./]+$)|(^test_[^/]*\.py$)|(_test\.(go|py|rb|exs|cc|cpp|c)$)|([A-Za-z0-9](Test|Tests|Spec)\.(java|kt|cs|swift|scala|php)$)|(^conftest\.py$)/;

/** True for a test file, test data or a test helper. */
export function isTestPath(filePath: string): boolean {
  const name = filePath.slice(filePath.lastIndexOf('/') + 1);
  return testFolder.test(filePath) || testFileName.test(name);
}

const sourceExtensions = new Set(
  [
    'ts', 'tsx', 'mts', 'cts', 'js', 'jsx', 'mjs', 'cjs', 'vue', 'svelte', 'astro',
    'py', 'pyi', 'pyx', 'go', 'rs', 'java', 'kt', 'kts', 'scala', 'groovy', 'clj', 'cljs',
    'rb', 'php', 'pl', 'pm', 'lua', 'r', 'jl', 'ex', 'exs', 'erl', 'hrl', 'hs', 'ml', 'mli', 'fs', 'fsx',
    'c', 'h', 'cc', 'cpp', 'cxx', 'hh', 'hpp', 'hxx', 'm', 'mm', 'cs', 'swift', 'dart', 'zig', 'nim', 'd',
    'sh', 'bash', 'zsh', 'fish', 'ps1', 'sql', 'proto', 'graphql', 'css', 'scss', 'sass', 'less', 'html',
  ],
);

/** True for a source code file (by extension) that is not a test. Docs, data, lock files and configuration are not source. */
export function isSourcePath(filePath: string): boolean {
  const name = filePath.slice(filePath.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return false;
  return sourceExtensions.has(name.slice(dot + 1).toLowerCase()) && !isTestPath(filePath);
}
