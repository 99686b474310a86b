/**
 * `sleeptime data swe-features`: a SWE-Features dataset from a git repository's history (or the
 * paper's released set, from a file the user downloaded). The benchmark suite is loaded in the
 * action, so that the CLI starts fast.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { userError } from '@sleeptime/core';
import type { SweFeaturesBuild } from '@sleeptime/bench';
import { integerFlag, parseFlag, type GlobalOptions } from './global-options.js';
import type { CliOutput } from './main.js';

interface SweFeaturesFlags {
  out: string;
  repo?: string;
  limit: string;
  since?: string;
  contextPrs: string;
  ref: string;
  mode: string;
  scan: string;
  maxFiles: string;
  fromFile?: string;
  clones?: string;
}

const skipWords: Record<keyof SweFeaturesBuild['skipped'], string> = {
  'sync-merge': 'branch sync',
  'no-files': 'no files',
  'too-many-files': 'too many files',
  'no-source-files': 'no source files',
  'not-a-feature': 'not a feature (fix, docs, refactoring...)',
};

export function registerSweFeaturesCommand(data: Command, output: CliOutput): void {
  data
    .command('swe-features')
    .description(
      'SWE-Features: the feature pull requests (merge commits) or feature commits of a git repository, each with its base commit, task, related earlier pull requests as context and the files it changed',
    )
    .requiredOption('-o, --out <file>', 'where to write the JSONL')
    .option('--repo <path>', 'the git repository to read (any folder in it)')
    .option('--limit <n>', 'the most recent features to take', '50')
    .option('--since <date>', 'only features committed from then on (a date, or anything git log --since takes)')
    .option('--context-prs <k>', 'related earlier pull requests in each item\'s context', '3')
    .option('--ref <ref>', 'the branch whose first-parent history is read', 'HEAD')
    .option('--mode <mode>', 'auto, merges (pull requests merged with merge commits) or commits (feature commits)', 'auto')
    .option('--scan <n>', 'first-parent commits read back from --ref', '2000')
    .option('--max-files <n>', 'leave out changes of more files than this', '30')
    .option('--from-file <file>', "instead of --repo: the paper's released set (letta-ai/SWE-Features), as a JSON Lines or JSON file you downloaded")
    .option('--clones <dir>', 'with --from-file: the folder holding clones of its repositories, each under its name')
    .action(async (flags: SweFeaturesFlags, command: Command) => {
      const json = command.optsWithGlobals<GlobalOptions>().json === true;
      if ((flags.repo === undefined) === (flags.fromFile === undefined)) {
        throw userError('invalid_option', 'Give either --repo PATH (build from a repository) or --from-file FILE (load a released set).');
      }
      const { buildSweFeatures, loadReleasedSweFeatures, writeJsonl } = await import('@sleeptime/bench');
      if (flags.fromFile !== undefined) {
        const items = await loadReleasedSweFeatures(flags.fromFile, { clonesDir: flags.clones });
        await writeJsonl(flags.out, items);
        if (json) output.stdout(`${JSON.stringify({ out: flags.out, items: items.length, source: 'released' })}\n`);
        else output.stdout(`Wrote ${items.length} item${items.length === 1 ? '' : 's'} of the released set to ${flags.out}.\n`);
        return;
      }
      const build = await buildSweFeatures({
        repository: flags.repo as string,
        ref: flags.ref,
        limit: integerFlag(flags.limit, '--limit', 1, 100_000),
        since: flags.since,
        contextPullRequests: integerFlag(flags.contextPrs, '--context-prs', 0, 20),
        mode: parseFlag(z.enum(['auto', 'merges', 'commits']), flags.mode, '--mode', 'one of auto, merges, commits'),
        scan: integerFlag(flags.scan, '--scan', 1, 1_000_000),
        rules: { maxChangedFiles: integerFlag(flags.maxFiles, '--max-files', 1, 10_000) },
      });
      await writeJsonl(flags.out, build.items);
      if (json) {
        output.stdout(`${JSON.stringify({ out: flags.out, items: build.items.length, mode: build.mode, repository: build.repository, scanned: build.scanned, considered: build.considered, skipped: build.skipped })}\n`);
        return;
      }
      const unit = build.mode === 'merges' ? 'merged pull requests' : 'commits';
      const reasons = Object.entries(build.skipped)
        .filter(([, count]) => count > 0)
        .map(([reason, count]) => `${skipWords[reason as keyof typeof skipWords]}: ${count}`)
        .join(', ');
      output.stdout(`Wrote ${build.items.length} feature item${build.items.length === 1 ? '' : 's'} to ${flags.out}, from ${build.considered} ${unit} of ${build.repository}${reasons === '' ? '' : ` (left out: ${reasons})`}.\n`);
      if (build.items.length === 0) {
        output.stderr(`No feature found. Try --mode ${build.mode === 'merges' ? 'commits' : 'merges'}, a larger --scan, an earlier --since, or another --ref.\n`);
      }
    });
}
