/**
 * `sleeptime models list|pull|rm|path`: the GGUF models sleeptime downloads for `llama:` specs, kept
 * in one folder (SLEEPTIME_MODELS_DIR, default ~/.cache/sleeptime/models). The work is
 * `@sleeptime/llama`'s (model-cache.ts), loaded only when one of these commands runs.
 */
import type { Command } from 'commander';
import { DEFAULT_MODEL_SPEC, defaultModelCacheDir, loadLlamaPackage, resolveModelSpec, userError, type DownloadProgress } from '@sleeptime/core';
import type * as LlamaInternals from '@sleeptime/llama/internal';
import { printJson, renderTable } from './format.js';
import type { GlobalOptions } from './global-options.js';
import type { CliOutput } from './main.js';

type ModelCache = Pick<typeof LlamaInternals, 'listCachedModels' | 'llamaSourceOf' | 'locateModel' | 'pullModel' | 'removeCachedModel'>;

function loadModelCache(): Promise<ModelCache> {
  return loadLlamaPackage<ModelCache>('@sleeptime/llama/internal', 'Managing llama: models runs');
}

/** 1536 → "1.5 KiB": binary units, as file managers and `ls -lh` show model files. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The path a spec's file is at in the cache, or undefined (not a llama model, not downloaded, or not a remote one). */
async function cachedPathOf(cache: ModelCache, spec: string, cacheDir: string): Promise<string | undefined> {
  let source: string;
  try {
    source = cache.llamaSourceOf(spec);
  } catch {
    return undefined; // openai:..., anthropic:...: no file to mark
  }
  const located = await cache.locateModel(source, cacheDir);
  return located.exists ? located.path : undefined;
}

/**
 * Progress for a stderr that is not a terminal (a log, a CI job): a line at every tenth of the
 * download instead of a redrawn bar.
 */
function progressLines(output: CliOutput, source: string): (progress: DownloadProgress) => void {
  let lastTenth = -1;
  return ({ downloadedBytes, totalBytes }) => {
    if (totalBytes <= 0) return;
    const tenth = Math.floor((downloadedBytes / totalBytes) * 10);
    if (tenth <= lastTenth) return;
    lastTenth = tenth;
    output.stderr(`Downloading ${source}: ${tenth * 10}% (${formatBytes(downloadedBytes)} of ${formatBytes(totalBytes)})\n`);
  };
}

export function registerModelsCommands(program: Command, output: CliOutput): void {
  const models = program
    .command('models')
    .description('list, download and remove the GGUF models kept for llama: specs (folder: env SLEEPTIME_MODELS_DIR)');

  models
    .command('list')
    .description('the model files in the folder, with sizes and SHA-256 (computed once, then kept beside each file as <file>.sha256)')
    .option('--verify', 'recompute every SHA-256 instead of trusting the kept ones')
    .action(async (options: { verify?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const cacheDir = defaultModelCacheDir();
      const cache = await loadModelCache();
      const inUseSpec = resolveModelSpec(globals.model);
      const [files, defaultPath, inUsePath] = await Promise.all([
        cache.listCachedModels(cacheDir, { sha256: options.verify === true ? 'all' : 'missing' }),
        cachedPathOf(cache, DEFAULT_MODEL_SPEC, cacheDir),
        cachedPathOf(cache, inUseSpec, cacheDir),
      ]);
      const rows = files.map((file) => ({
        name: file.name,
        path: file.path,
        sizeBytes: file.sizeBytes,
        sha256: file.sha256,
        partial: file.partial,
        modifiedAt: file.modifiedAt.toISOString(),
        default: file.path === defaultPath,
        inUse: file.path === inUsePath,
      }));
      if (globals.json) {
        printJson(output, {
          cacheDir,
          defaultModel: { spec: DEFAULT_MODEL_SPEC, path: defaultPath ?? null },
          inUseModel: { spec: inUseSpec, path: inUsePath ?? null },
          models: rows,
        });
        return;
      }
      output.stdout(`Model folder: ${cacheDir}\n`);
      if (rows.length === 0) output.stdout('No models downloaded yet.\n');
      else {
        const table = rows.map((row) => [
          row.name,
          formatBytes(row.sizeBytes),
          row.partial ? '(partial download)' : (row.sha256 ?? ''),
          [row.default ? 'default' : '', row.inUse ? 'in use' : ''].filter((role) => role !== '').join(', '),
        ]);
        output.stdout(`${renderTable(['name', 'size', 'SHA-256', 'model'], table)}\n`);
      }
      if (defaultPath === undefined) {
        const pull = inUseSpec === DEFAULT_MODEL_SPEC ? 'sleeptime models pull' : `sleeptime models pull ${DEFAULT_MODEL_SPEC}`;
        output.stdout(`The default model (${DEFAULT_MODEL_SPEC}) is not downloaded: ${pull}\n`);
      }
      if (inUseSpec !== DEFAULT_MODEL_SPEC && inUsePath === undefined) output.stdout(`In use (--model or SLEEPTIME_MODEL): ${inUseSpec}, not in this folder\n`);
    });

  models
    .command('pull [spec]')
    .description('download a model (hf:<user>/<repo>/<file>.gguf, hf:<user>/<repo>:<quant>, or an http(s) URL) into the folder; default: the model in use')
    .action(async (spec: string | undefined, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const cacheDir = defaultModelCacheDir();
      const cache = await loadModelCache();
      const source = cache.llamaSourceOf(spec ?? resolveModelSpec(globals.model));
      const terminal = process.stderr.isTTY === true;
      const pulled = await cache.pullModel(source, cacheDir, {
        showProgress: !globals.json && terminal,
        ...(globals.json || terminal ? {} : { onProgress: progressLines(output, source) }),
      });
      if (globals.json) {
        printJson(output, { source: pulled.source, path: pulled.path, sizeBytes: pulled.sizeBytes, sha256: pulled.sha256, downloaded: pulled.downloaded });
        return;
      }
      output.stdout(
        pulled.downloaded
          ? `Downloaded ${source} to ${pulled.path} (${formatBytes(pulled.sizeBytes)}).\n`
          : `${source} is already downloaded: ${pulled.path} (${formatBytes(pulled.sizeBytes)}).\n`,
      );
      output.stdout(`SHA-256: ${pulled.sha256}\n`);
    });

  models
    .command('rm <name>')
    .description('remove a downloaded model: its file name as models list shows it, or the hf:/URL it came from')
    .action(async (name: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const cacheDir = defaultModelCacheDir();
      const cache = await loadModelCache();
      const removed = await cache.removeCachedModel(cacheDir, name);
      if (globals.json) printJson(output, { ...removed, removed: true });
      else output.stdout(`Removed ${removed.name} (${formatBytes(removed.sizeBytes)}) from ${cacheDir}.\n`);
    });

  models
    .command('path [spec]')
    .description('print the model folder, or the local file a model spec resolves to (nothing is downloaded)')
    .action(async (spec: string | undefined, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const cacheDir = defaultModelCacheDir();
      if (spec === undefined) {
        if (globals.json) printJson(output, { cacheDir });
        else output.stdout(`${cacheDir}\n`);
        return;
      }
      const cache = await loadModelCache();
      const located = await cache.locateModel(cache.llamaSourceOf(spec), cacheDir);
      if (!located.exists) {
        if (!located.remote) throw userError('model_file_not_found', `no model file at ${located.path ?? spec}`, { spec, path: located.path });
        const where = located.path === undefined ? '' : `; it would be ${located.path}`;
        throw userError('model_not_downloaded', `${spec} is not downloaded${where}: sleeptime models pull ${spec}`, { spec, path: located.path ?? null, cacheDir });
      }
      if (globals.json) printJson(output, { spec, source: located.source, path: located.path, remote: located.remote, cacheDir });
      else output.stdout(`${located.path}\n`);
    });
}
