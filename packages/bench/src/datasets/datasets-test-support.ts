/**
 * Test helper: where the shared data is, computed without the code under test (so a bug in
 * resolveDatasetsDir cannot hide itself). SLEEPTIME_DATASETS_DIR wins, as for the loaders.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function sharedDatasetsDir(): string {
  const fromEnv = process.env.SLEEPTIME_DATASETS_DIR?.trim();
  if (fromEnv) return resolve(fromEnv);
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../../shared/datasets');
}
