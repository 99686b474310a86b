import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Option } from 'commander';
import { SleeptimeError, userError, errorMessage } from '@sleeptime/core';
import { registerBenchCommands } from './bench-commands.js';
import { registerDataCommands } from './data-commands.js';
import { registerKeysCommands } from './keys-commands.js';
import { registerModelsCommands } from './models-commands.js';
import { registerServeCommand } from './serve-command.js';
import { registerWatchCommand } from './watch-command.js';
import { registerWorkerCommand } from './worker-command.js';
import { runDemo } from './demo.js';
import { formatDuration, formatUsage, printJson, renderRuns, truncationNotice } from './format.js';
import { effortFlag, integerFlag, parseFlag, type GlobalOptions } from './global-options.js';
import { createSleepProgress } from './sleep-progress.js';
import { withRuntime } from './runtime.js';
import { z } from 'zod';

/** Where the CLI writes; injectable so tests can run it in-process. */
export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Exit codes: 0 done, 1 bad input, 2 the model provider failed, 3 something failed here. */
export const exitCodes = { ok: 0, user: 1, upstream: 2, system: 3 } as const;

const packageVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

async function readContextText(options: { file?: string; text?: string }): Promise<string> {
  if (options.file !== undefined && options.text !== undefined) {
    throw userError('invalid_option', 'give either --file or --text, not both');
  }
  if (options.text !== undefined) return options.text;
  if (options.file === undefined) throw userError('invalid_option', 'give the context with --file <path> or --text <text>');
  try {
    return await readFile(options.file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw userError('unreadable_file', `cannot read ${options.file} (${reason})`, { path: options.file });
  }
}

async function readExamples(options: { example?: string[]; examplesFile?: string }): Promise<string[] | undefined> {
  const examples = [...(options.example ?? [])];
  if (options.examplesFile !== undefined) {
    const text = await readContextText({ file: options.examplesFile });
    examples.push(...text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0));
  }
  return examples.length > 0 ? examples : undefined;
}

function parseMetadata(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw userError('invalid_option', '--metadata must be a JSON object');
  }
  return parseFlag(z.record(z.string(), z.unknown()), parsed, '--metadata', 'a JSON object');
}

function buildProgram(output: CliOutput): Command {
  const program = new Command();
  program
    .name('sleeptime')
    .description('Sleep-time compute: let a model think about a context before anyone asks, then answer with fewer test-time tokens.')
    .option('-m, --model <spec>', 'model: openai:<id>, anthropic:<id>, openai-compatible:<id>, llama:<file.gguf|hf:uri> (env SLEEPTIME_MODEL)')
    .option('--base-url <url>', 'base URL for openai-compatible models (env SLEEPTIME_BASE_URL)')
    .option('--data-dir <dir>', 'data folder for the embedded SQLite store (env SLEEPTIME_DATA_DIR, default ./.sleeptime)')
    .option('--database-url <url>', 'PostgreSQL URL; replaces the SQLite store (env SLEEPTIME_DATABASE_URL)')
    .option('--llama-time-limit <seconds>', 'llama models: wall-clock limit per model call, 0 for none (env SLEEPTIME_LLAMA_TIME_LIMIT, default 600)')
    .option('--llama-threads <n>', 'llama models: CPU threads (env SLEEPTIME_LLAMA_THREADS, default one fewer than the cores, at least 1)')
    .option('--json', 'print one JSON object for machines')
    .version(packageVersion)
    .showHelpAfterError('(run sleeptime --help for usage)')
    .configureOutput({ writeOut: output.stdout, writeErr: output.stderr })
    .exitOverride();

  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

  const context = program.command('context').description('write, read and list contexts');
  context
    .command('put <id>')
    .description('create a context or replace its text (bumps its version)')
    .option('-f, --file <path>', 'read the text from a file')
    .option('-t, --text <text>', 'the text itself')
    .option('--repo <path>', "a git repository: the text is its tree, README and recent pull requests at --ref, and sleeps explore that commit (a repository context; enqueues the context's quiet-period sleep job)")
    .option('--ref <ref>', 'with --repo: the branch, tag or commit (default HEAD)')
    .option('--metadata <json>', 'a JSON object stored with the context')
    .action(async (id: string, options: { file?: string; text?: string; repo?: string; ref?: string; metadata?: string }, command: Command) => {
      const metadata = parseMetadata(options.metadata);
      const opts = globals(command);
      if (options.repo !== undefined) {
        if (options.file !== undefined || options.text !== undefined) throw userError('invalid_option', 'give --repo, --file or --text, only one of them');
        const repo = options.repo;
        const { putRepositoryContext } = await import('./repository-context-command.js');
        const result = await withRuntime(opts, (runtime) => putRepositoryContext(runtime, { id, repository: repo, ref: options.ref, metadata }));
        if (opts.json) printJson(output, result);
        else {
          const at = `commit ${result.repository.commit.slice(0, 12)} of ${result.repository.path} (${result.repository.ref})`;
          output.stdout(result.written ? `Context ${result.id} is at version ${result.version} (${result.characters} characters): ${at}.\n` : `Context ${result.id} already holds ${at} (version ${result.version}); nothing written.\n`);
        }
        return;
      }
      if (options.ref !== undefined) throw userError('invalid_option', '--ref goes with --repo');
      const text = await readContextText(options);
      const record = await withRuntime(opts, ({ engine }) => engine.putContext({ id, text, metadata }));
      if (opts.json) printJson(output, { id: record.id, version: record.version, characters: record.text.length, metadata: record.metadata });
      else output.stdout(`Context ${record.id} is at version ${record.version} (${record.text.length} characters).\n`);
    });
  context
    .command('get <id>')
    .description('print a context and its latest learned context')
    .action(async (id: string, _options: unknown, command: Command) => {
      const opts = globals(command);
      await withRuntime(opts, async ({ engine }) => {
        const record = await engine.getContext(id);
        const learned = await engine.learnedContext(id);
        if (opts.json) {
          printJson(output, {
            ...record,
            learned: learned ? { text: learned.record.text, sourceVersion: learned.record.sourceVersion, fresh: learned.fresh } : null,
          });
          return;
        }
        output.stdout(`# ${record.id} (version ${record.version})\n\n${record.text.trimEnd()}\n`);
        if (learned) {
          const state = learned.fresh ? 'fresh' : `stale: made from version ${learned.record.sourceVersion}`;
          output.stdout(`\n# learned context (${state})\n\n${learned.record.text.trimEnd()}\n`);
        } else output.stdout('\n(no learned context yet: run sleeptime sleep ' + record.id + ')\n');
      });
    });
  context
    .command('list')
    .description('list contexts')
    .action(async (_options: unknown, command: Command) => {
      const opts = globals(command);
      const contexts = await withRuntime(opts, ({ engine }) => engine.listContexts());
      if (opts.json) printJson(output, contexts.map(({ id, version, updatedAt, text }) => ({ id, version, updatedAt, characters: text.length })));
      else if (contexts.length === 0) output.stdout('No contexts yet: add one with sleeptime context put <id> --file <path>\n');
      else for (const record of contexts) output.stdout(`${record.id}\tversion ${record.version}\t${record.text.length} characters\n`);
    });
  context
    .command('delete <id>')
    .description('delete a context with its learned contexts and runs')
    .action(async (id: string, _options: unknown, command: Command) => {
      const opts = globals(command);
      await withRuntime(opts, ({ engine }) => engine.deleteContext(id));
      if (opts.json) printJson(output, { id, deleted: true });
      else output.stdout(`Deleted context ${id}.\n`);
    });

  program
    .command('sleep <id>')
    .description('think about a context now and publish a learned context')
    .option('-k, --parallel <k>', 'independent sleep-time runs, concatenated (1-16)', '1')
    .option('--effort <level>', 'reasoning effort for reasoning models: low, medium, high')
    .option('--max-rewrites <n>', 'most memory rewrites per run (1-50)', '10')
    .option('--max-tokens <n>', 'most output tokens per model call (default 2048, plus room for --effort)')
    .option('--example <question...>', 'a question to expect (repeatable)')
    .option('--examples-file <path>', 'questions to expect, one a line')
    .addOption(
      new Option('--protocol <protocol>', 'how the agent writes its memory: tool calls, tagged text (for models without tool calling), or auto (tools, then text if the server refuses them)')
        .choices(['auto', 'tools', 'text'])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--prompt-style <style>',
        'the sleep-time instructions: default (questions will come), aime (the context is the first part of a math problem whose rest comes later), or repository (a repository context\'s default: notes about the code and the coming work)',
      ).choices(['default', 'aime', 'repository']),
    )
    .option('--max-exploration-steps <n>', 'repository contexts: model calls each run may spend exploring the repository with its tools, beside its rewrites (1-500, default 30)')
    .option('--max-memory-characters <n>', 'most characters each run\'s memory may hold (100-1000000; a longer rewrite is refused and the model told the limit; default: none)')
    .action(
      async (
        id: string,
        options: {
          parallel: string;
          effort?: string;
          maxRewrites: string;
          maxTokens?: string;
          example?: string[];
          examplesFile?: string;
          protocol: 'auto' | 'tools' | 'text';
          promptStyle?: 'default' | 'aime' | 'repository';
          maxMemoryCharacters?: string;
          maxExplorationSteps?: string;
        },
        command: Command,
      ) => {
        const opts = globals(command);
        const sleepOptions = {
          parallel: integerFlag(options.parallel, '--parallel', 1, 16),
          effort: effortFlag(options.effort),
          maxRewrites: integerFlag(options.maxRewrites, '--max-rewrites', 1, 50),
          maxOutputTokens: integerFlag(options.maxTokens, '--max-tokens', 1, 1_000_000),
          examples: await readExamples(options),
          protocol: options.protocol,
          promptStyle: options.promptStyle,
          maxMemoryCharacters: integerFlag(options.maxMemoryCharacters, '--max-memory-characters', 100, 1_000_000),
          maxExplorationSteps: integerFlag(options.maxExplorationSteps, '--max-exploration-steps', 1, 500),
        };
        const showProgress = !opts.json && process.stderr.isTTY === true;
        const result = await withRuntime(
          opts,
          async ({ engine }) => {
            const progress = showProgress ? createSleepProgress(sleepOptions.parallel ?? 1, sleepOptions.maxRewrites ?? 10) : undefined;
            try {
              return await engine.sleep(id, { ...sleepOptions, onProgress: progress?.update });
            } finally {
              progress?.stop();
            }
          },
          { showProgress: !opts.json },
        );
        if (opts.json) {
          printJson(output, result);
          return;
        }
        output.stdout(`${result.learned.trimEnd()}\n\n`);
        output.stdout(
          `Learned context for ${result.contextId} (version ${result.sourceVersion}) published in ${formatDuration(result.durationMs)}; ` +
            `sleep-time tokens: ${formatUsage(result.usage)}.\n`,
        );
      },
    );

  program
    .command('ask <id> <question>')
    .description('answer a question about a context with a test-time budget')
    .addOption(new Option('--verbosity <level>', 'answer length for non-reasoning models, 0 (one sentence) to 4 (thorough)'))
    .option('--effort <level>', 'reasoning effort: low, medium, high')
    .option('--thinking-budget <tokens>', 'thinking budget in tokens (Anthropic; llama models that think)')
    .option('--max-tokens <n>', 'most output tokens (default by verbosity: 256, 512, 768, 2048, 4096; plus room for thinking)')
    .option('--no-learned', 'answer without the learned context (the test-time-only baseline)')
    .option('--no-context', 'leave the raw context out of the prompt (learned context only)')
    .action(
      async (
        id: string,
        question: string,
        options: { verbosity?: string; effort?: string; thinkingBudget?: string; maxTokens?: string; learned: boolean; context: boolean },
        command: Command,
      ) => {
        const opts = globals(command);
        const verbosity = integerFlag(options.verbosity, '--verbosity', 0, 4) as 0 | 1 | 2 | 3 | 4 | undefined;
        const askOptions = {
          verbosity,
          effort: effortFlag(options.effort),
          thinkingBudget: integerFlag(options.thinkingBudget, '--thinking-budget', 1, 1_000_000),
          maxOutputTokens: integerFlag(options.maxTokens, '--max-tokens', 1, 1_000_000),
          useLearned: options.learned,
          includeContext: options.context,
        };
        const result = await withRuntime(opts, ({ engine }) => engine.ask(id, question, askOptions), { showProgress: !opts.json });
        if (opts.json) {
          printJson(output, result);
          return;
        }
        output.stdout(`${result.answer.trimEnd()}\n\n`);
        const learnedState = result.fresh === null ? 'no learned context' : result.fresh ? 'fresh learned context' : 'stale learned context';
        output.stdout(
          `final: ${result.final ?? '(none found)'} | ${learnedState} | test-time tokens: ${formatUsage(result.usage)} | ${formatDuration(result.latencyMs)}\n`,
        );
        if (result.truncatedBy !== null) output.stdout(`${truncationNotice(result.truncatedBy)}\n`);
      },
    );

  program
    .command('runs <id>')
    .description('the history of sleep and ask runs of a context, with usage')
    .option('-n, --limit <n>', 'most runs to show, newest first', '50')
    .action(async (id: string, options: { limit: string }, command: Command) => {
      const opts = globals(command);
      const limit = integerFlag(options.limit, '--limit', 1, 100_000);
      const runs = await withRuntime(opts, async ({ engine }) => {
        await engine.getContext(id);
        return engine.runs(id, { limit });
      });
      if (opts.json) printJson(output, runs);
      else output.stdout(`${renderRuns(runs)}\n`);
    });

  registerDataCommands(program, output);
  registerBenchCommands(program, output);
  registerServeCommand(program, output);
  registerWorkerCommand(program, output);
  registerWatchCommand(program, output);
  registerKeysCommands(program, output);
  registerModelsCommands(program, output);

  program
    .command('demo')
    .description('a short demonstration: puts contexts, sleeps on them, asks with and without the learned context')
    .option('--max-rewrites <n>', 'most memory rewrites per sleep (1-50)', '3')
    .option('--max-tokens <n>', 'most output tokens per model call (default: the engine defaults)')
    .action(async (options: { maxRewrites: string; maxTokens?: string }, command: Command) => {
      await runDemo(globals(command), output, {
        maxRewrites: integerFlag(options.maxRewrites, '--max-rewrites', 1, 50),
        maxOutputTokens: integerFlag(options.maxTokens, '--max-tokens', 1, 1_000_000),
      });
    });

  return program;
}

function reportError(output: CliOutput, error: unknown, json: boolean): number {
  if (SleeptimeError.isInstance(error)) {
    if (json) output.stderr(`${JSON.stringify({ error: error.toJSON() })}\n`);
    else output.stderr(`sleeptime: ${error.message} [${error.code}]\n`);
    if (process.env.SLEEPTIME_DEBUG && error.cause) output.stderr(`${String((error.cause as Error).stack ?? error.cause)}\n`);
    return exitCodes[error.category];
  }
  const message = errorMessage(error);
  if (json) output.stderr(`${JSON.stringify({ error: { code: 'internal_error', category: 'system', message } })}\n`);
  else output.stderr(`sleeptime: unexpected error: ${message.split('\n')[0]} (set SLEEPTIME_DEBUG=1 for details)\n`);
  if (process.env.SLEEPTIME_DEBUG && error instanceof Error) output.stderr(`${error.stack}\n`);
  return exitCodes.system;
}

/** Runs the CLI and returns the exit code; never throws and never prints a stack trace unless asked. */
export async function main(argv: string[], output: CliOutput = processOutput): Promise<number> {
  // The AI SDK logs provider warnings with console.warn; people see them only when debugging.
  if (!process.env.SLEEPTIME_DEBUG) (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
  const program = buildProgram(output);
  try {
    await program.parseAsync(argv);
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are printed by commander itself and end with exit code 0.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.user;
    }
    return reportError(output, error, argv.includes('--json'));
  }
}
