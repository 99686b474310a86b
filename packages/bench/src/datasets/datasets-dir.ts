/**
 * Where the benchmark data lives. The data is read in place from a folder the user gives, or from
 * the download cache that `prepareDatasets` (and `sleeptime data`) fills from the pinned public
 * sources; it is never copied into the repository: some of it is licensed against redistribution.
 */
import { dirname, join, resolve } from 'node:path';
import { defaultModelCacheDir } from '@sleeptime/core';

export const DATASETS_DIR_ENV = 'SLEEPTIME_DATASETS_DIR';
export const DATASETS_CACHE_DIR_ENV = 'SLEEPTIME_DATASETS_CACHE_DIR';

/**
 * The download cache: SLEEPTIME_DATASETS_CACHE_DIR, else `datasets` beside the model cache
 * (`~/.cache/sleeptime/datasets`, or `$XDG_CACHE_HOME/sleeptime/datasets`; beside
 * SLEEPTIME_MODELS_DIR when that is set). It holds `gsm-symbolic/` and `aime/` in the same layout
 * as a datasets folder, and the officially released GSM-Symbolic instance files once asked for.
 */
export function defaultDatasetsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[DATASETS_CACHE_DIR_ENV]?.trim();
  if (explicit) return resolve(explicit);
  return join(dirname(defaultModelCacheDir(env)), 'datasets');
}

/**
 * The datasets folder as an absolute path: `explicit` (a flag or option), else the
 * SLEEPTIME_DATASETS_DIR environment variable, else the download cache
 * ({@link defaultDatasetsCacheDir}; `prepareDatasets` fills it, the loaders only read it).
 * Relative paths resolve against the working directory, as a user typing them expects. Empty
 * strings count as unset (`SLEEPTIME_DATASETS_DIR= cmd` clears it). The folder is not checked here:
 * loaders report a missing file with its full path.
 */
export function resolveDatasetsDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromOption = explicit?.trim();
  if (fromOption) return resolve(fromOption);
  const fromEnv = env[DATASETS_DIR_ENV]?.trim();
  if (fromEnv) return resolve(fromEnv);
  return defaultDatasetsCacheDir(env);
}
