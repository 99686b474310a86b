import { describe, expect, it } from 'vitest';
import { defaultDataDir, storeConfigFrom } from './index.js';

describe('storeConfigFrom', () => {
  it('uses SQLite in ./.sleeptime when nothing is configured', () => {
    expect(storeConfigFrom({ env: {} })).toEqual({ kind: 'sqlite', dataDir: defaultDataDir });
    expect(defaultDataDir).toBe('./.sleeptime');
  });

  it('takes the data folder from the option before SLEEPTIME_DATA_DIR', () => {
    expect(storeConfigFrom({ env: { SLEEPTIME_DATA_DIR: '/from/env' } })).toEqual({
      kind: 'sqlite',
      dataDir: '/from/env',
    });
    expect(storeConfigFrom({ dataDir: '/from/option', env: { SLEEPTIME_DATA_DIR: '/from/env' } })).toEqual({
      kind: 'sqlite',
      dataDir: '/from/option',
    });
  });

  it('chooses PostgreSQL when a database URL is given, option before SLEEPTIME_DATABASE_URL', () => {
    const env = { SLEEPTIME_DATABASE_URL: 'postgres://env/db', SLEEPTIME_DATA_DIR: '/ignored' };
    expect(storeConfigFrom({ env })).toEqual({ kind: 'postgres', url: 'postgres://env/db' });
    expect(storeConfigFrom({ databaseUrl: 'postgres://option/db', dataDir: '/ignored', env })).toEqual({
      kind: 'postgres',
      url: 'postgres://option/db',
    });
  });

  it('treats empty values as unset', () => {
    expect(storeConfigFrom({ databaseUrl: '', dataDir: ' ', env: { SLEEPTIME_DATABASE_URL: '' } })).toEqual({
      kind: 'sqlite',
      dataDir: defaultDataDir,
    });
  });

  it('reads process.env when no env is passed', () => {
    const saved = process.env.SLEEPTIME_DATA_DIR;
    process.env.SLEEPTIME_DATA_DIR = '/from/process/env';
    try {
      const config = storeConfigFrom({});
      // A database URL in the real environment would win; only check the folder when it does not.
      if (config.kind === 'sqlite') expect(config.dataDir).toBe('/from/process/env');
      else expect(config.url).toBe(process.env.SLEEPTIME_DATABASE_URL);
    } finally {
      if (saved === undefined) delete process.env.SLEEPTIME_DATA_DIR;
      else process.env.SLEEPTIME_DATA_DIR = saved;
    }
  });
});
