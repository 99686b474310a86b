/**
 * Where the benchmark data lives. The data is read in place from the shared folder (or a path the
 * user gives), never copied into the repository: some of it is licensed against redistribution.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATASETS_DIR_ENV = 'SLEEPTIME_DATASETS_DIR';

/** The default, relative to the bench package root (packages/bench): the shared folder sits beside the repository. */
export const DEFAULT_DATASETS_DIR_FROM_PACKAGE_ROOT = '../../../shared/datasets';

/**
 * The datasets folder as an absolute path: `explicit` (a flag or option), else the
 * SLEEPTIME_DATASETS_DIR environment variable, else `../shared/datasets` from the package root.
 * Relative `explicit` and environment paths resolve against the working directory, as a user typing
 * them expects. Empty strings count as unset (`SLEEPTIME_DATASETS_DIR= cmd` clears it). The folder
 * is not checked here: loaders report a missing file with its full path.
 */
export function resolveDatasetsDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromOption = explicit?.trim();
  if (fromOption) return resolve(fromOption);
  const fromEnv = env[DATASETS_DIR_ENV]?.trim();
  if (fromEnv) return resolve(fromEnv);
  return resolve(packageRoot(), DEFAULT_DATASETS_DIR_FROM_PACKAGE_ROOT);
}

let cachedPackageRoot: string | undefined;

/**
 * The folder holding this package's package.json, found by walking up from this file so that the
 * answer does not depend on the working directory or on how deep this module sits.
 */
export function packageRoot(): string {
  if (cachedPackageRoot !== undefined) return cachedPackageRoot;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let folder = here; ; folder = dirname(folder)) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest) && isSleeptimeManifest(manifest)) {
      cachedPackageRoot = folder;
      return folder;
    }
    if (dirname(folder) === folder) break;
  }
  // Not found (an unusual install layout): this file sits at <root>/src/bench/datasets.
  cachedPackageRoot = resolve(here, '../../..');
  return cachedPackageRoot;
}

function isSleeptimeManifest(path: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown };
    // The bench package, or the CLI that bundles it: both sit at packages/<name>.
    return manifest.name === '@sleeptime/bench' || manifest.name === 'sleeptime';
  } catch {
    return false;
  }
}
