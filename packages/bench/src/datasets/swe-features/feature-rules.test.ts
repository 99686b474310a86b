/** Which changes are features, and which files are tests or source code. */
import { describe, expect, it } from 'vitest';
import { featureVerdict } from './feature-rules.js';
import { isSourcePath, isTestPath } from './path-kinds.js';

const verdict = (title: string, files: string[], sync = false) => featureVerdict({ title, files, sync });

describe('featureVerdict', () => {
  it('takes a title that says feature, with at least one source file', () => {
    for (const title of ['feat: add export', 'feature(ui)!: dark mode', 'Add CSV export', 'Implement retries', 'Support YAML configs', '[Add] plugin hooks', 'Introduce caching']) {
      expect(verdict(title, ['src/a.ts'])).toEqual({ feature: true });
    }
  });

  it('takes any other title when several non-test source files changed', () => {
    expect(verdict('Session handling', ['src/session.py', 'src/api/login.py'])).toEqual({ feature: true });
    expect(verdict('Session handling', ['src/session.py', 'tests/test_session.py'])).toEqual({ feature: false, reason: 'not-a-feature' });
  });

  it('refuses fixes, reverts, releases, docs, chores and refactorings whatever they touch', () => {
    for (const title of ['fix: crash', 'Fix rounding', 'Revert "Add export"', 'Bump lodash to 4.17.21', 'chore(deps): update', 'docs: usage', 'Refactor storage', 'v1.2.0', 'Release 2.0', 'Update dependencies', 'refactor!: new core']) {
      expect(verdict(title, ['src/a.ts', 'src/b.ts', 'src/c.ts'])).toEqual({ feature: false, reason: 'not-a-feature' });
    }
  });

  it('refuses sync merges, changes without source files, and changes too large to score', () => {
    expect(verdict('Add x', ['src/a.ts'], true)).toEqual({ feature: false, reason: 'sync-merge' });
    expect(verdict('Add x', [])).toEqual({ feature: false, reason: 'no-files' });
    expect(verdict('Add docs', ['docs/a.md', 'README.md', 'package-lock.json'])).toEqual({ feature: false, reason: 'no-source-files' });
    expect(verdict('Add tests', ['test/a.test.ts'])).toEqual({ feature: false, reason: 'no-source-files' });
    expect(verdict('Add vendored lib', Array.from({ length: 31 }, (_, index) => `vendor/f${index}.c`))).toEqual({ feature: false, reason: 'too-many-files' });
    expect(featureVerdict({ title: 'Add', files: ['a.ts', 'b.ts', 'c.ts'], sync: false }, { maxChangedFiles: 2, minSourceFiles: 2 })).toEqual({ feature: false, reason: 'too-many-files' });
  });
});

describe('path kinds', () => {
  it('knows test files across ecosystems', () => {
    for (const file of ['test/a.ts', 'src/__tests__/a.ts', 'src/a.test.ts', 'src/a.spec.js', 'pkg/a_test.go', 'tests/test_login.py', 'test_login.py', 'src/FooTest.java', 'conftest.py', 'spec/models/user_spec.rb', 'e2e/login.ts', 'fixtures/data.json']) {
      expect(isTestPath(file)).toBe(true);
    }
    for (const file of ['src/latest.ts', 'src/contest.py', 'src/testimony.ts', 'docs/testing.md']) expect(isTestPath(file)).toBe(false);
  });

  it('knows source files by extension, tests excluded', () => {
    for (const file of ['src/a.ts', 'app.py', 'lib/x.go', 'web/App.vue', 'scripts/build.sh', 'native/x.cpp', 'styles/app.css']) expect(isSourcePath(file)).toBe(true);
    for (const file of ['README.md', 'package.json', 'package-lock.json', 'Makefile', '.eslintrc', 'docs/x.rst', 'test/a.ts', 'assets/logo.png']) expect(isSourcePath(file)).toBe(false);
  });
});
