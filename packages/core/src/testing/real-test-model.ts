/**
 * The real-model tier of the tests: a real GGUF instruct model (ChatML, small enough for CPU) that
 * tests load to check mechanics and bounds, never accuracy. It is found through
 * SLEEPTIME_TEST_MODEL (a path), else as the smallest `*.gguf` in `../shared/models` beside a
 * sleeptime repository checkout (found from this file, so a copy of the repository elsewhere finds
 * none). Without one the tests are skipped, saying why, unless SLEEPTIME_REQUIRE_TEST_MODEL=1 (CI),
 * which makes a missing model a failure, as SLEEPTIME_REQUIRE_DATASETS does for the datasets.
 *
 * This module loads no test framework (the testing entry is published and used without vitest):
 * `describeWithRealModel` takes the suite functions from the caller.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const realTestModelVariable = 'SLEEPTIME_TEST_MODEL';
export const requireRealTestModelVariable = 'SLEEPTIME_REQUIRE_TEST_MODEL';

export interface RealTestModel {
  /** Absolute path of the GGUF file. */
  path: string;
  /** The model spec sleeptime takes (`--model`, SLEEPTIME_MODEL, createModel): `llama:<path>`. */
  spec: string;
}

export interface RealTestModelSettings {
  /** Undefined when there is none (the tests that need it are skipped, or fail when required). */
  model: RealTestModel | undefined;
  /** SLEEPTIME_REQUIRE_TEST_MODEL=1: a missing model is a failure, not a skip. */
  required: boolean;
  /** Why `model` is undefined; empty when it is not. */
  missingReason: string;
}

export interface RealTestModelSearch {
  /**
   * The folder searched for `*.gguf` when the variable is not set; default `../shared/models` beside
   * the sleeptime repository this file is in (none when it is not in one, e.g. installed from npm).
   */
  modelsDir?: string | undefined;
}

/**
 * `<repo>/../shared/models`, when this file sits in a sleeptime checkout (`src/testing` and
 * `dist/testing` are both four folders below the root); undefined anywhere else.
 */
export function besideRepositoryModelsDir(): string | undefined {
  const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: unknown };
    if (manifest.name !== 'sleeptime-workspace') return undefined;
  } catch {
    return undefined;
  }
  return resolve(root, '../shared/models');
}

export function realTestModelSettings(
  env: Record<string, string | undefined> = process.env,
  search: RealTestModelSearch = { modelsDir: besideRepositoryModelsDir() },
): RealTestModelSettings {
  const required = env[requireRealTestModelVariable] === '1';
  const found = (path: string): RealTestModelSettings => ({ model: { path, spec: `llama:${path}` }, required, missingReason: '' });
  const missing = (missingReason: string): RealTestModelSettings => ({ model: undefined, required, missingReason });

  const fromEnv = env[realTestModelVariable]?.trim();
  if (fromEnv) {
    const path = resolve(fromEnv);
    return isFile(path) ? found(path) : missing(`${realTestModelVariable}=${fromEnv} is not a file`);
  }
  const dir = search.modelsDir;
  if (dir === undefined) return missing(`${realTestModelVariable} is not set and this is not a sleeptime checkout with ../shared/models beside it`);
  const candidates = existsSync(dir) ? ggufFilesBySize(dir) : [];
  // The smallest: the tier's bounds (tokens, timeouts) are set for a small model on 2 CPU cores.
  const smallest = candidates[0];
  if (smallest !== undefined) return found(smallest);
  return missing(`${realTestModelVariable} is not set and ${dir} holds no .gguf file`);
}

/** The real test model's path, or undefined when there is none. */
export function realTestModelPath(env: Record<string, string | undefined> = process.env): string | undefined {
  return realTestModelSettings(env).model?.path;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function ggufFilesBySize(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.toLowerCase().endsWith('.gguf'))
    .map((name) => join(dir, name))
    .filter(isFile)
    .map((path) => ({ path, bytes: statSync(path).size }))
    .sort((a, b) => a.bytes - b.bytes || a.path.localeCompare(b.path))
    .map((entry) => entry.path);
}

/** The parts of vitest's (or a compatible runner's) API that `describeWithRealModel` uses. */
export interface SuiteFunctions {
  describe: ((title: string, body: () => void) => void) & {
    skip: (title: string, body: () => void) => void;
  };
  it: (title: string, body: () => void) => void;
}

const warnedReasons = new Set<string>();

/**
 * `describe` for tests on the real model: `body` gets the model. Without one the suite is skipped
 * with the reason in its title (and a warning, once per reason and process), or, when
 * SLEEPTIME_REQUIRE_TEST_MODEL=1, replaced by a failing test. `body` must load the model only inside
 * tests and hooks: a skipped suite is still collected.
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * describeWithRealModel('ask on a real model', { describe, it }, (model) => { ... model.spec ... });
 * ```
 */
export function describeWithRealModel(
  title: string,
  suite: SuiteFunctions,
  body: (model: RealTestModel) => void,
  settings: RealTestModelSettings = realTestModelSettings(),
): void {
  const { model } = settings;
  if (model !== undefined) {
    suite.describe(title, () => body(model));
    return;
  }
  if (settings.required) {
    suite.describe(title, () => {
      suite.it(`has a real test model because ${requireRealTestModelVariable}=1`, () => {
        throw new Error(`${requireRealTestModelVariable}=1 but ${settings.missingReason}`);
      });
    });
    return;
  }
  if (!warnedReasons.has(settings.missingReason)) {
    warnedReasons.add(settings.missingReason);
    console.warn(`Tests on a real model SKIPPED: ${settings.missingReason}. Set ${realTestModelVariable} to a GGUF file to run them.`);
  }
  const placeholder: RealTestModel = { path: '/no-real-test-model.gguf', spec: 'llama:/no-real-test-model.gguf' };
  suite.describe.skip(`${title} (SKIPPED: ${settings.missingReason})`, () => body(placeholder));
}
