import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot, resolveDatasetsDir } from './datasets-dir.js';

// Computed here, not by the code under test: this file sits at <bench package>/src/datasets.
const expectedRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

describe('resolveDatasetsDir', () => {
  it('prefers the explicit path, resolved against the working directory', () => {
    const env = { SLEEPTIME_DATASETS_DIR: '/from/env' };
    expect(resolveDatasetsDir('/explicit/data', env)).toBe('/explicit/data');
    expect(resolveDatasetsDir('relative/data', env)).toBe(resolve(process.cwd(), 'relative/data'));
  });

  it('then SLEEPTIME_DATASETS_DIR', () => {
    expect(resolveDatasetsDir(undefined, { SLEEPTIME_DATASETS_DIR: '/from/env' })).toBe('/from/env');
    expect(resolveDatasetsDir(undefined, { SLEEPTIME_DATASETS_DIR: 'rel' })).toBe(resolve(process.cwd(), 'rel'));
  });

  it('then ../shared/datasets from the package root, whatever the working directory', () => {
    expect(resolveDatasetsDir(undefined, {})).toBe(resolve(expectedRoot, '../../../shared/datasets'));
  });

  it('treats empty or blank values as unset', () => {
    const fallback = resolve(expectedRoot, '../../../shared/datasets');
    expect(resolveDatasetsDir('', { SLEEPTIME_DATASETS_DIR: '  ' })).toBe(fallback);
    expect(resolveDatasetsDir('  ', { SLEEPTIME_DATASETS_DIR: '/from/env' })).toBe('/from/env');
  });

  it('reads process.env by default', () => {
    const previous = process.env.SLEEPTIME_DATASETS_DIR;
    process.env.SLEEPTIME_DATASETS_DIR = '/from/process/env';
    try {
      expect(resolveDatasetsDir()).toBe('/from/process/env');
    } finally {
      if (previous === undefined) delete process.env.SLEEPTIME_DATASETS_DIR;
      else process.env.SLEEPTIME_DATASETS_DIR = previous;
    }
  });
});

describe('packageRoot', () => {
  it('is the folder of the @sleeptime/bench package.json', () => {
    expect(packageRoot()).toBe(expectedRoot);
    expect(existsSync(join(packageRoot(), 'package.json'))).toBe(true);
  });
});
