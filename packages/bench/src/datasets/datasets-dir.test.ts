import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDatasetsCacheDir, resolveDatasetsDir } from './datasets-dir.js';

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

  it('then the download cache, whatever the working directory and wherever the package is', () => {
    expect(resolveDatasetsDir(undefined, { HOME: '/home/ann' })).toBe(defaultDatasetsCacheDir({ HOME: '/home/ann' }));
    expect(resolveDatasetsDir(undefined, { SLEEPTIME_DATASETS_CACHE_DIR: '/cache/datasets' })).toBe('/cache/datasets');
  });

  it('treats empty or blank values as unset', () => {
    const env = { SLEEPTIME_DATASETS_DIR: '  ', SLEEPTIME_DATASETS_CACHE_DIR: '/cache/datasets' };
    expect(resolveDatasetsDir('', env)).toBe('/cache/datasets');
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

describe('defaultDatasetsCacheDir', () => {
  it('is datasets beside the model cache: ~/.cache/sleeptime/datasets', () => {
    expect(defaultDatasetsCacheDir({})).toBe(join(homedir(), '.cache', 'sleeptime', 'datasets'));
    expect(defaultDatasetsCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/sleeptime/datasets');
    expect(defaultDatasetsCacheDir({ SLEEPTIME_MODELS_DIR: '/big-disk/sleeptime/models' })).toBe('/big-disk/sleeptime/datasets');
  });

  it('is SLEEPTIME_DATASETS_CACHE_DIR when set (relative to the working directory), blank counting as unset', () => {
    expect(defaultDatasetsCacheDir({ SLEEPTIME_DATASETS_CACHE_DIR: '/cache/datasets', XDG_CACHE_HOME: '/xdg' })).toBe('/cache/datasets');
    expect(defaultDatasetsCacheDir({ SLEEPTIME_DATASETS_CACHE_DIR: 'cache' })).toBe(resolve(process.cwd(), 'cache'));
    expect(defaultDatasetsCacheDir({ SLEEPTIME_DATASETS_CACHE_DIR: ' ', XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/sleeptime/datasets');
  });
});
