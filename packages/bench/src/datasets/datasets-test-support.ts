/**
 * Tests on the real datasets (the 250 GSM-Symbolic templates, the 60 AIME problems). They run when
 * a datasets folder is present: SLEEPTIME_DATASETS_DIR, else `../shared/datasets` beside the
 * repository (found from this file, without the code under test, so a bug in resolveDatasetsDir
 * cannot hide itself). Without one they are skipped, saying why, unless SLEEPTIME_REQUIRE_DATASETS=1
 * (CI), which makes a missing folder a failure, as SLEEPTIME_REQUIRE_POSTGRES does for PostgreSQL.
 * Everything else runs on the fixtures of dataset-fixtures-test-support.ts.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

export const datasetsDirVariable = 'SLEEPTIME_DATASETS_DIR';
export const requireDatasetsVariable = 'SLEEPTIME_REQUIRE_DATASETS';

export interface RealDatasetsSettings {
  /** The datasets folder; undefined when there is none (the tests that need it are skipped). */
  dir: string | undefined;
  /** SLEEPTIME_REQUIRE_DATASETS=1: a missing folder is a failure, not a skip. */
  required: boolean;
  /** Why `dir` is undefined. */
  missingReason: string;
}

/** `../shared/datasets` beside the repository: this file sits at <repo>/packages/bench/src/datasets. */
export function besideRepositoryDatasetsDir(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../../shared/datasets');
}

export function realDatasetsSettings(env: Record<string, string | undefined> = process.env): RealDatasetsSettings {
  const fromEnv = env[datasetsDirVariable]?.trim();
  const candidate = fromEnv ? resolve(fromEnv) : besideRepositoryDatasetsDir();
  const required = env[requireDatasetsVariable] === '1';
  const complete = existsSync(join(candidate, 'gsm-symbolic', 'templates')) && existsSync(join(candidate, 'aime'));
  if (complete) return { dir: candidate, required, missingReason: '' };
  const missingReason = fromEnv
    ? `${datasetsDirVariable}=${candidate} holds no gsm-symbolic/templates and aime/`
    : `no datasets folder: ${datasetsDirVariable} is not set and ${candidate} does not exist`;
  return { dir: undefined, required, missingReason };
}

let warned = false;

/**
 * `describe` for tests that need the real datasets: `body` gets the folder. Without one the suite
 * is skipped with the reason in its title (and a warning), or, when SLEEPTIME_REQUIRE_DATASETS=1,
 * replaced by a failing test. `body` must read the data only inside tests and hooks: a skipped
 * suite is still collected.
 */
export function describeWithDatasets(title: string, body: (datasetsDir: string) => void): void {
  const settings = realDatasetsSettings();
  if (settings.dir === undefined && settings.required) {
    describe(title, () => {
      it(`has the datasets folder because ${requireDatasetsVariable}=1`, () => {
        expect.fail(`${requireDatasetsVariable}=1 but ${settings.missingReason}`);
      });
    });
    return;
  }
  if (settings.dir === undefined && !warned) {
    warned = true;
    console.warn(`Tests on the real datasets SKIPPED: ${settings.missingReason}. Set ${datasetsDirVariable} to run them.`);
  }
  const skip = settings.dir === undefined;
  describe.skipIf(skip)(skip ? `${title} (SKIPPED: ${settings.missingReason})` : title, () => body(settings.dir ?? '/no-datasets-folder'));
}
