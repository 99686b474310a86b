import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { z } from 'zod';
import { createModel, resolveModelSpec } from '@sleeptime/core';
// Types only: the bench package itself is loaded inside the actions, so that the CLI starts fast.
import type { DatasetDownloadProgress, DatasetName } from '@sleeptime/bench';
import { integerFlag, modelOptionsFrom, parseFlag, type GlobalOptions } from './global-options.js';
import type { CliOutput } from './main.js';
import { registerSweFeaturesCommand } from './swe-features-command.js';

const datasetsDirHelp = (holding: string) =>
  `folder holding ${holding} (env SLEEPTIME_DATASETS_DIR; default: the pinned public files, downloaded once, checked by ` +
  'SHA-256, into ~/.cache/sleeptime/datasets or env SLEEPTIME_DATASETS_CACHE_DIR)';
const datasetsBaseUrlHelp = 'where the pinned files are downloaded from (env SLEEPTIME_DATASETS_BASE_URL, default https://raw.githubusercontent.com)';

/**
 * The datasets folder for a `data` command: --datasets-dir, else SLEEPTIME_DATASETS_DIR, else the
 * download cache, filled first from the pinned sources (with progress on stderr for people).
 */
async function datasetsFolder(dataset: DatasetName, options: { datasetsDir?: string; datasetsBaseUrl?: string }, json: boolean, output: CliOutput): Promise<string> {
  const { prepareDatasets } = await import('@sleeptime/bench');
  const progress = json ? undefined : downloadProgress(output);
  try {
    const prepared = await prepareDatasets({ datasets: [dataset], datasetsDir: options.datasetsDir, baseUrl: options.datasetsBaseUrl, onProgress: progress?.update });
    return prepared.datasetsDir;
  } finally {
    progress?.stop();
  }
}

/** A progress bar on a terminal; otherwise one line when a download starts and one when it ends. */
function downloadProgress(output: CliOutput): { update: (progress: DatasetDownloadProgress) => void; stop: () => void } {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  const kilobytes = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return {
    update(progress) {
      const { source } = progress;
      if (progress.doneFiles === 0) {
        output.stderr(
          `Downloading the ${source.title} (${source.repository}@${source.commit.slice(0, 7)}, ${progress.totalFiles} files, ` +
            `${kilobytes(progress.totalBytes)}) into ${progress.folder}\n`,
        );
        if (tty) {
          bar = new cliProgress.SingleBar({ stream: process.stderr, format: ' files [{bar}] {value}/{total} | {file}' }, cliProgress.Presets.shades_classic);
          bar.start(progress.totalFiles, 0, { file: '' });
        }
        return;
      }
      bar?.update(progress.doneFiles, { file: progress.file ?? '' });
      if (progress.doneFiles === progress.totalFiles) {
        bar?.stop();
        bar = undefined;
        output.stderr(`Downloaded and checked ${progress.totalFiles} files.\n`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

/** `sleeptime data ...`: writes benchmark datasets as JSON Lines. */
export function registerDataCommands(program: Command, output: CliOutput): void {
  const data = program.command('data').description('write benchmark datasets as JSON Lines');
  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

  data
    .command('gsm-symbolic')
    .description('GSM-Symbolic instances generated afresh from the 250 public templates (or the official release with --official)')
    .requiredOption('-o, --out <file>', 'where to write the JSONL')
    .option('--variant <variant>', 'p1, p2 or symbolic', 'p1')
    .option('--per-template <n>', 'instances per template', '1')
    .option('--seed <seed>', 'random seed: the same seed gives the same instances', '0')
    .option('--template <id...>', 'only these templates (e.g. 0003 or p1/0003)')
    .option('--datasets-dir <dir>', datasetsDirHelp('gsm-symbolic/templates'))
    .option('--datasets-base-url <url>', datasetsBaseUrlHelp)
    .option('--official <path-or-url>', 'instead: load an officially released instance file (downloaded once and cached)')
    .action(
      async (
        options: {
          out: string;
          variant: string;
          perTemplate: string;
          seed: string;
          template?: string[];
          datasetsDir?: string;
          datasetsBaseUrl?: string;
          official?: string;
        },
        command: Command,
      ) => {
        const json = globals(command).json === true;
        const { defaultDatasetsCacheDir, generateGsmSymbolic, gsmSymbolicVariants, loadOfficialGsmSymbolic, writeGsmSymbolicJsonl, writeJsonl } = await import('@sleeptime/bench');
        if (options.official !== undefined) {
          // In the datasets cache (~/.cache/sleeptime/datasets): downloads are kept, never committed.
          const items = await loadOfficialGsmSymbolic(options.official, { cacheDir: defaultDatasetsCacheDir() });
          await writeJsonl(options.out, items);
          if (json) output.stdout(`${JSON.stringify({ out: options.out, items: items.length })}\n`);
          else output.stdout(`Wrote ${items.length} official instances to ${options.out}.\n`);
          return;
        }
        const variant = parseFlag(z.enum(gsmSymbolicVariants), options.variant, '--variant', `one of ${gsmSymbolicVariants.join(', ')}`);
        const perTemplate = integerFlag(options.perTemplate, '--per-template', 1, 100_000) as number;
        const seed = integerFlag(options.seed, '--seed', 0, 2 ** 31 - 1) as number;
        const datasetsDir = await datasetsFolder('gsm-symbolic', options, json, output);
        const progress =
          !json && process.stderr.isTTY === true
            ? new cliProgress.SingleBar({ stream: process.stderr, format: ' templates [{bar}] {value}/{total} | {template}' }, cliProgress.Presets.shades_classic)
            : undefined;
        progress?.start(options.template?.length ?? (variant === 'p2' ? 50 : 100), 0, { template: '' });
        let instances;
        try {
          instances = generateGsmSymbolic({
            variant,
            perTemplate,
            seed,
            datasetsDir,
            templates: options.template,
            onTemplateDone: (statistics) => progress?.increment({ template: statistics.template }),
          });
        } finally {
          progress?.stop();
        }
        await writeGsmSymbolicJsonl(options.out, instances);
        const templates = new Set(instances.map((instance) => instance.template)).size;
        if (json) output.stdout(`${JSON.stringify({ out: options.out, instances: instances.length, templates, variant, seed })}\n`);
        else output.stdout(`Wrote ${instances.length} instances of ${templates} ${variant} templates (seed ${seed}) to ${options.out}.\n`);
      },
    );

  data
    .command('multi-query')
    .description('Multi-Query GSM-Symbolic: about 10 more questions per context, written by the model and verified by an expression over the bindings')
    .requiredOption('--from <file>', 'GSM-Symbolic instances (JSONL from sleeptime data gsm-symbolic)')
    .requiredOption('-o, --out <file>', 'where to write the JSONL (the original question of each context included)')
    .option('--per-context <n>', 'questions to ask the model for, per context', '10')
    .option('--seed <seed>', 'seed for the model calls', '0')
    .option('--limit <n>', 'only the first n contexts')
    .option('--concurrency <n>', 'model calls in flight at once', '4')
    .option('--cache <file>', 'resume file: contexts done so far (default: <out>.cache.jsonl)')
    .action(
      async (
        options: { from: string; out: string; perContext: string; seed: string; limit?: string; concurrency: string; cache?: string },
        command: Command,
      ) => {
        const opts = globals(command);
        const { generateMultiQuery, readGsmSymbolicJsonl, writeJsonl } = await import('@sleeptime/bench');
        const questionsPerContext = integerFlag(options.perContext, '--per-context', 1, 50) as number;
        const seed = integerFlag(options.seed, '--seed', 0, 2 ** 31 - 1) as number;
        const limit = integerFlag(options.limit, '--limit', 1, 10_000_000);
        const concurrency = integerFlag(options.concurrency, '--concurrency', 1, 256) as number;
        const allInstances = await readGsmSymbolicJsonl(options.from);
        const instances = limit === undefined ? allInstances : allInstances.slice(0, limit);
        const model = await createModel(resolveModelSpec(opts.model), { ...modelOptionsFrom(opts), baseUrl: opts.baseUrl, showProgress: !opts.json });
        const progress =
          !opts.json && process.stderr.isTTY === true
            ? new cliProgress.SingleBar(
                { stream: process.stderr, format: ' contexts [{bar}] {value}/{total} | kept {kept} | rejected {rejected}' },
                cliProgress.Presets.shades_classic,
              )
            : undefined;
        progress?.start(instances.length, 0, { kept: 0, rejected: 0 });
        try {
          const result = await generateMultiQuery({
            instances,
            model,
            seed,
            questionsPerContext,
            concurrency,
            cachePath: options.cache ?? `${options.out.replace(/\.jsonl$/, '')}.cache.jsonl`,
            onProgress: (state) => progress?.update(state.done, { kept: state.kept, rejected: state.rejected }),
          });
          progress?.stop();
          await writeJsonl(options.out, result.rows);
          const summary = { out: options.out, contexts: instances.length, rows: result.rows.length, kept: result.kept, rejected: result.rejected, rejectedByReason: result.rejectedByReason };
          if (opts.json) output.stdout(`${JSON.stringify(summary)}\n`);
          else {
            const reasons = Object.entries(result.rejectedByReason)
              .filter(([, count]) => count > 0)
              .map(([reason, count]) => `${reason} ${count}`)
              .join(', ');
            output.stdout(
              `Wrote ${result.rows.length} questions over ${instances.length} contexts to ${options.out}: ` +
                `${result.kept} new questions kept, ${result.rejected} rejected${reasons ? ` (${reasons})` : ''}.\n`,
            );
          }
        } finally {
          progress?.stop();
          await model.close();
        }
      },
    );

  data
    .command('aime')
    .description('Stateful AIME: the 60 problems of AIME 2024 and 2025, split into context and query')
    .requiredOption('-o, --out <file>', 'where to write the JSONL')
    .option('--datasets-dir <dir>', datasetsDirHelp('aime/'))
    .option('--datasets-base-url <url>', datasetsBaseUrlHelp)
    .option('--year <year...>', 'only these years (2024, 2025)')
    .action(async (options: { out: string; datasetsDir?: string; datasetsBaseUrl?: string; year?: string[] }, command: Command) => {
      const json = globals(command).json === true;
      const { loadAime, writeJsonl } = await import('@sleeptime/bench');
      const years = options.year?.map((year) => integerFlag(year, '--year', 1983, 2100) as number);
      const datasetsDir = await datasetsFolder('aime', options, json, output);
      const items = await loadAime({ datasetsDir, years });
      await writeJsonl(options.out, items);
      const figures = items.filter((item) => item.hasFigure).length;
      if (json) output.stdout(`${JSON.stringify({ out: options.out, items: items.length, withFigures: figures })}\n`);
      else output.stdout(`Wrote ${items.length} problems (${figures} with figures) to ${options.out}.\n`);
    });

  registerSweFeaturesCommand(data, output);
}
