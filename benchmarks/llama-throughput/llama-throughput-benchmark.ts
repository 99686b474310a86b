/**
 * `npm run bench:llama -- --model <file.gguf>`: prompt and generation speed of sleeptime's ask
 * against a direct node-llama-cpp call on the same model file, prompt, threads and context size.
 *
 * - direct: node-llama-cpp's `LlamaChat.generateResponse` on a context of its own;
 * - sleeptime: `engine.streamAsk` with a temporary SQLite store and the model made by
 *   `createModel('llama:<file>')`, i.e. the whole ask path (run rows, the AI SDK, the llama
 *   provider's prompt rendering, bounds and streaming).
 *
 * Both read the whole prompt on every repetition, and the conditions alternate which goes first.
 * Prompt speed is prompt tokens over the time to the first token; generation speed is the tokens
 * after the first over the time after it. Options: `--context-tokens 1000` (size of the context in
 * the prompt), `--output-tokens 64`, `--repetitions 7`, `--threads <n>` (default: sleeptime's), `--no-write`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LlamaChat, type ChatHistoryItem, type LlamaModel } from 'node-llama-cpp';
import { buildAskPrompt, createEngine, createModel, openStore } from '@sleeptime/core';
import { defaultLlamaThreads, getLlamaRuntime } from '@sleeptime/llama/internal';
import { writeBenchmarksSection } from '../shared/benchmarks-section.js';
import { median } from '../shared/latency-statistics.js';

const SECTION_TITLE = '## Real weights: prompt and generation speed, direct node-llama-cpp against sleeptime\'s ask';
const CONTEXT_ID = 'deliveries';
const QUESTION = 'List every delivery with its crates, dock and crates sent on, then add up the crates left at each dock.';
const VERBOSITY = 4;

interface Timing {
  promptTokens: number;
  outputTokens: number;
  firstTokenMs: number;
  totalMs: number;
}

function contextText(sentences: number): string {
  const lines: string[] = [];
  for (let index = 0; index < sentences; index++)
    lines.push(`Delivery ${index + 1} brought ${(index * 37) % 91} crates of pears to dock ${(index * 13) % 7}, and ${(index * 11) % 23} were sent on.`);
  return lines.join('\n');
}

function promptSpeed(timing: Timing): number {
  return timing.promptTokens / (timing.firstTokenMs / 1000);
}

function generationSpeed(timing: Timing): number {
  return (timing.outputTokens - 1) / ((timing.totalMs - timing.firstTokenMs) / 1000);
}

/** The direct call: the ask's exact messages through LlamaChat, nothing of sleeptime in between. */
async function directCall(chat: LlamaChat, model: LlamaModel, history: ChatHistoryItem[], maxTokens: number): Promise<Timing> {
  await chat.sequence.clearHistory();
  const promptTokens = chat.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
  const meterBefore = chat.sequence.tokenMeter.getState();
  let firstTokenAt: number | undefined;
  const startedAt = performance.now();
  await chat.generateResponse(history, {
    maxTokens,
    temperature: 0,
    onToken: () => {
      firstTokenAt ??= performance.now();
    },
  });
  const totalMs = performance.now() - startedAt;
  return { promptTokens, outputTokens: chat.sequence.tokenMeter.diff(meterBefore).usedOutputTokens, firstTokenMs: (firstTokenAt ?? Number.NaN) - startedAt, totalMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      'context-tokens': { type: 'string', default: '1000' },
      'output-tokens': { type: 'string', default: '64' },
      repetitions: { type: 'string', default: '7' },
      threads: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  if (values.model === undefined) throw new Error('--model <file.gguf> is required: the model both calls run');
  const modelPath = resolve(values.model);
  const [contextTokens, outputTokens, repetitions] = [values['context-tokens'], values['output-tokens'], values.repetitions].map((value) => Number.parseInt(value, 10));
  if (![contextTokens, outputTokens, repetitions].every((value) => Number.isSafeInteger(value) && value! > 0))
    throw new Error('--context-tokens, --output-tokens and --repetitions take positive integers');

  const directory = await mkdtemp(join(tmpdir(), 'sleeptime-bench-llama-'));
  const benchmarkStartedAt = performance.now();
  try {
    const llama = await getLlamaRuntime();
    const model = await llama.loadModel({ modelPath });
    // The context's sentences, as many as fit the target in this model's tokens.
    let sentences = 1;
    while (model.tokenize(contextText(sentences + 1)).length <= contextTokens!) sentences++;
    const text = contextText(sentences);
    const { system, user } = buildAskPrompt({ question: QUESTION, verbosity: VERBOSITY, contextText: text });
    const history: ChatHistoryItem[] = [{ type: 'system', text: system }, { type: 'user', text: user }, { type: 'model', response: [] }];
    const contextSize = model.tokenize(`${system}\n${user}`).length + outputTokens! + 256;
    // Both calls get the same thread count: sleeptime's default unless --threads says otherwise.
    const threads = values.threads === undefined ? defaultLlamaThreads(model.size, llama.cpuMathCores) : Number.parseInt(values.threads, 10);
    if (!Number.isSafeInteger(threads) || threads < 1) throw new Error('--threads takes a positive integer');

    const context = await model.createContext({ contextSize, threads, sequences: 1 });
    const chat = new LlamaChat({ contextSequence: context.getSequence() });
    const store = await openStore({ kind: 'sqlite', dataDir: join(directory, 'data') });
    const sleeptimeModel = await createModel(`llama:${modelPath}`, { contextSize, llamaThreads: threads, prefixStateDir: null, env: {} });
    const engine = createEngine({ store, model: sleeptimeModel });
    await engine.putContext({ id: CONTEXT_ID, text });
    console.log(`model: real weights: ${basename(modelPath)}; ${threads} thread(s), context ${contextSize}; ${repetitions} repetition(s) of each, interleaved`);

    const sleeptimeCall = async (): Promise<Timing> => {
      // A one-token call on another prompt leaves only the first token in common with the ask, so the ask reads its whole prompt, as the direct call does.
      await sleeptimeModel.languageModel.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], maxOutputTokens: 1 });
      const startedAt = performance.now();
      let firstTokenAt: number | undefined;
      const stream = await engine.streamAsk(CONTEXT_ID, QUESTION, { verbosity: VERBOSITY, maxOutputTokens: outputTokens, useLearned: false, temperature: 0 });
      for await (const event of stream.events) {
        if (event.type === 'text-delta') firstTokenAt ??= performance.now();
        else if (event.type === 'finish') {
          const totalMs = performance.now() - startedAt;
          return { promptTokens: event.result.usage.inputTokens, outputTokens: event.result.usage.outputTokens, firstTokenMs: (firstTokenAt ?? Number.NaN) - startedAt, totalMs };
        }
      }
      throw new Error('the streamed ask ended without a finish event');
    };

    const direct: Timing[] = [];
    const sleeptime: Timing[] = [];
    for (let repetition = 0; repetition < repetitions!; repetition++) {
      const order = repetition % 2 === 0 ? (['direct', 'sleeptime'] as const) : (['sleeptime', 'direct'] as const);
      for (const kind of order) {
        const timing = kind === 'direct' ? await directCall(chat, model, history, outputTokens!) : await sleeptimeCall();
        (kind === 'direct' ? direct : sleeptime).push(timing);
        console.log(
          `  repetition ${repetition + 1}, ${kind}: ${timing.promptTokens} prompt tokens in ${timing.firstTokenMs.toFixed(0)} ms (${promptSpeed(timing).toFixed(0)}/s), ` +
            `${timing.outputTokens} output tokens, ${generationSpeed(timing).toFixed(1)}/s after the first`,
        );
      }
    }
    if (direct[0]?.promptTokens !== sleeptime[0]?.promptTokens)
      throw new Error(`the two calls read different prompts: ${direct[0]?.promptTokens} against ${sleeptime[0]?.promptTokens} tokens`);
    chat.dispose();
    await context.dispose();
    await sleeptimeModel.close();
    await store.close();
    await model.dispose();

    const totalSeconds = (performance.now() - benchmarkStartedAt) / 1000;
    const table = formatTable(direct, sleeptime);
    console.log(`\n${table}\n\ntotal ${totalSeconds.toFixed(0)} s`);
    if (!values['no-write'])
      console.log(`wrote ${await writeBenchmarksSection(SECTION_TITLE, sectionText(table, { modelLabel: basename(modelPath), threads, contextSize, repetitions: repetitions!, totalSeconds }))}`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function formatTable(direct: readonly Timing[], sleeptime: readonly Timing[]): string {
  const row = (label: string, timings: readonly Timing[]) =>
    `| ${label} | ${timings[0]?.promptTokens ?? 0} | ${median(timings.map((t) => t.firstTokenMs)).toFixed(0)} ms | ${median(timings.map(promptSpeed)).toFixed(0)} | ${median(timings.map((t) => t.outputTokens))} | ${median(timings.map(generationSpeed)).toFixed(1)} |`;
  const directPrompt = median(direct.map(promptSpeed));
  const directGeneration = median(direct.map(generationSpeed));
  const sleeptimePrompt = median(sleeptime.map(promptSpeed));
  const sleeptimeGeneration = median(sleeptime.map(generationSpeed));
  // Per-repetition ratios: each pair ran back to back under the same load.
  const promptRatios = direct.map((timing, index) => promptSpeed(timing) / promptSpeed(sleeptime[index]!));
  const generationRatios = direct.map((timing, index) => generationSpeed(timing) / generationSpeed(sleeptime[index]!));
  return [
    '| call | prompt tokens | time to first token | prompt tokens/s | output tokens | generation tokens/s |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row('direct node-llama-cpp (`LlamaChat`)', direct),
    row('sleeptime `engine.streamAsk`', sleeptime),
    `| **direct / sleeptime**: median of the per-repetition ratios (ratio of the medians) | | | **${median(promptRatios).toFixed(2)}x** (${(directPrompt / sleeptimePrompt).toFixed(2)}x) | | **${median(generationRatios).toFixed(2)}x** (${(directGeneration / sleeptimeGeneration).toFixed(2)}x) |`,
  ].join('\n');
}

function sectionText(table: string, run: { modelLabel: string; threads: number; contextSize: number; repetitions: number; totalSeconds: number }): string {
  return [
    SECTION_TITLE,
    '',
    `Model: **real weights: ${run.modelLabel}**. Measured with \`npm run bench:llama -- --model <file>\` on ${new Date().toISOString().slice(0, 10)}, ` +
      `${cpus().length} CPU cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, node-llama-cpp CPU build; ${run.threads} thread(s) (sleeptime's default unless \`--threads\` was given) and a context of ${run.contextSize} tokens for both.`,
    '',
    table,
    '',
    'Goal: sleeptime within 1.1x of the direct call (a ratio of at most 1.10).',
    '',
    '**Method.** One prompt, the ask prompt sleeptime builds (`buildAskPrompt`, verbosity 4, the raw context in the system message, no learned context), ' +
      'sent two ways in one process: directly through node-llama-cpp\'s `LlamaChat.generateResponse` on a context of its own, and through `engine.streamAsk` ' +
      '(a temporary SQLite store, the model from `createModel(\'llama:<file>\')`, the AI SDK, the run rows), both at temperature 0 with the same output limit. ' +
      'Both read their whole prompt every time (the direct context is cleared; the engine\'s model first answers a one-token call on another prompt). ' +
      'Time to first token runs from the call to the first token (direct: node-llama-cpp\'s `onToken`; sleeptime: the first streamed text); ' +
      'prompt tokens/s is the prompt\'s tokens over that time, generation tokens/s the tokens after the first over the rest of the call (for sleeptime up to its finish event, ' +
      'after the run is recorded). sleeptime applies its default repeat penalty and loop guard, the direct call node-llama-cpp\'s defaults, so the two may ' +
      `stop after different numbers of tokens; the rates are per token. The two alternate which goes first, ${run.repetitions} repetition(s); ` +
      `medians, and the median of the per-repetition ratios (each pair ran back to back). The whole run took ${run.totalSeconds.toFixed(0)} s.`,
    '',
    '**Noise.** Other processes shared the two cores during the run (several sessions running models and test suites); llama.cpp\'s threads wait ' +
      'for each other at every layer, so under oversubscription a token can take a hundred times longer than on idle cores, and speeds moved by that much ' +
      'between minutes. The headline ratio is therefore the median of the per-repetition ratios (each pair ran back to back, under similar load), not the ' +
      'ratio of the medians; repetitions that ran on idle cores are the ones to read for absolute speeds.',
    '',
  ].join('\n');
}

await main();
