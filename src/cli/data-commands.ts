import type { Command } from 'commander';
import { loadAime } from '../bench/datasets/aime.js';
import { writeJsonl } from '../bench/datasets/jsonl.js';
import { integerFlag, type GlobalOptions } from './global-options.js';
import type { CliOutput } from './main.js';

/** `sleeptime data ...`: writes benchmark datasets as JSON Lines. */
export function registerDataCommands(program: Command, output: CliOutput): void {
  const data = program.command('data').description('write benchmark datasets as JSON Lines');
  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

  data
    .command('aime')
    .description('Stateful AIME: the 60 problems of AIME 2024 and 2025, split into context and query')
    .requiredOption('-o, --out <file>', 'where to write the JSONL')
    .option('--datasets-dir <dir>', 'folder holding aime/ (env SLEEPTIME_DATASETS_DIR, default ../shared/datasets)')
    .option('--year <year...>', 'only these years (2024, 2025)')
    .action(async (options: { out: string; datasetsDir?: string; year?: string[] }, command: Command) => {
      const years = options.year?.map((year) => integerFlag(year, '--year', 1983, 2100) as number);
      const items = await loadAime({ datasetsDir: options.datasetsDir, years });
      await writeJsonl(options.out, items);
      const figures = items.filter((item) => item.hasFigure).length;
      if (globals(command).json) output.stdout(`${JSON.stringify({ out: options.out, items: items.length, withFigures: figures })}\n`);
      else output.stdout(`Wrote ${items.length} problems (${figures} with figures) to ${options.out}.\n`);
    });
}
