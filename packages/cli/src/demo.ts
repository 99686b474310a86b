import { SleeptimeError, errorMessage, type AskResult } from '@sleeptime/core';
import { formatDuration, formatUsage, printJson, renderTable, truncate } from './format.js';
import type { GlobalOptions } from './global-options.js';
import type { CliOutput } from './main.js';
import { withRuntime } from './runtime.js';

interface DemoContext {
  id: string;
  text: string;
  questions: { question: string; expected: string }[];
}

// Small word problems with known answers, so a reader can judge the answers at a glance.
export const demoContexts: DemoContext[] = [
  {
    id: 'demo-bakery',
    text:
      'A bakery sells muffins for $3 each and cookies for $1.50 each. On Monday it sold 120 muffins and 200 cookies. ' +
      'On Tuesday it sold 20% more muffins than on Monday and half as many cookies as on Monday.',
    questions: [
      { question: 'How much money did the bakery make on Monday, in dollars?', expected: '660' },
      { question: 'How many muffins did the bakery sell over the two days?', expected: '264' },
      { question: 'How much money did the bakery make from cookies on Tuesday, in dollars?', expected: '150' },
    ],
  },
  {
    id: 'demo-road-trip',
    text:
      'Maya drives 240 km to visit her aunt and comes back the same way. Her car uses 6 litres of fuel per 100 km, ' +
      'and fuel costs $1.80 per litre. She drives at 80 km/h on the way there and at 60 km/h on the way back.',
    questions: [
      { question: 'How many hours does Maya spend driving in total?', expected: '7' },
      { question: 'How many litres of fuel does she use for the whole trip?', expected: '28.8' },
      { question: 'How much does the fuel for the whole trip cost, in dollars?', expected: '51.84' },
    ],
  },
];

/** Model failures that mean "no model here", as opposed to a model that answered badly. */
const noModelCodes = new Set([
  'model_download_failed',
  'model_file_not_found',
  'invalid_model_file',
  'missing_api_key',
  'missing_base_url',
  'upstream_connection_failed',
  'upstream_request_rejected',
]);

const howToPointAtAModel = [
  'Point sleeptime at a model, for example:',
  '  npm run demo -- --model llama:/path/to/model.gguf                 (a local GGUF file)',
  '  npm run demo -- --model openai-compatible:<name> --base-url http://127.0.0.1:8080/v1   (llama.cpp server, vLLM, Ollama...)',
  '  OPENAI_API_KEY=... npm run demo -- --model openai:gpt-4o-mini',
  'or set SLEEPTIME_MODEL (and SLEEPTIME_BASE_URL) in the environment.',
].join('\n');

/** The demo's own bounds: a few rewrites per sleep, short answers (see the README's "Bounds"). */
export interface DemoOptions {
  /** Rewrites per sleep; default 3. */
  maxRewrites?: number | undefined;
  /** Output tokens per model call; default: the engine's defaults (by verbosity for asks). */
  maxOutputTokens?: number | undefined;
}

interface DemoFailure {
  context: string;
  step: string;
  error: SleeptimeError;
}

const demoVerbosity = 1;
const defaultDemoRewrites = 3;

/**
 * Each context in turn: put it, sleep on it (a progress line per model call), then ask each question
 * with and without the learned context, printing each answer as it comes. A failure on one step is
 * one line, and the demo goes on (a context whose sleep failed is still asked, test-time only); the
 * exit code says whether anything failed.
 */
export async function runDemo(options: GlobalOptions, output: CliOutput, demo: DemoOptions = {}): Promise<void> {
  const maxRewrites = demo.maxRewrites ?? defaultDemoRewrites;
  const failures: DemoFailure[] = [];
  await withRuntime(options, async ({ engine, modelSpec, loadModel }) => {
    output.stderr(`Model: ${modelSpec}\n`);
    try {
      await loadModel();
    } catch (error) {
      // The llama loader's own message already says how to point at a model; others get the hint.
      if (SleeptimeError.isInstance(error) && noModelCodes.has(error.code) && !error.message.includes('--model')) {
        throw new SleeptimeError({
          code: error.code,
          category: error.category,
          message: `no model available for the demo: ${error.message}\n${howToPointAtAModel}`,
          cause: error,
        });
      }
      throw error;
    }

    const failed = (context: string, step: string, error: unknown): void => {
      const failure = SleeptimeError.isInstance(error) ? error : new SleeptimeError({ code: 'demo_step_failed', category: 'system', message: errorMessage(error), cause: error });
      failures.push({ context, step, error: failure });
      output.stderr(`  ${context}: ${step} failed: ${failure.message} [${failure.code}]\n`);
    };
    const budget = demo.maxOutputTokens === undefined ? {} : { maxOutputTokens: demo.maxOutputTokens };

    const rows: string[][] = [];
    const totals = { sleep: 0, withLearned: 0, withoutLearned: 0, correctWith: 0, correctWithout: 0, questions: 0, answeredWith: 0, answeredWithout: 0 };
    for (const context of demoContexts) {
      await engine.putContext({ id: context.id, text: context.text, metadata: { demo: true } });
      output.stderr(`Sleeping on ${context.id} (at most ${maxRewrites} rewrite(s))...\n`);
      let learned = false;
      try {
        const sleep = await engine.sleep(context.id, {
          maxRewrites,
          ...budget,
          onProgress: (event) => {
            if (event.type === 'model-call')
              output.stderr(`  sleep call ${event.step + 1}: ${formatUsage(event.usage)}, ${formatDuration(event.durationMs)}${event.finishReason === 'length' ? ' (cut at a limit)' : ''}\n`);
          },
        });
        // Providers count reasoning tokens inside outputTokens: output tokens are all generated tokens.
        totals.sleep += sleep.usage.outputTokens;
        learned = true;
        const stops = sleep.branches.map((branch) => branch.stopReason).join(', ');
        output.stderr(`  learned context: ${sleep.learned.length} characters, sleep-time tokens: ${formatUsage(sleep.usage)}, stopped: ${stops}\n`);
      } catch (error) {
        failed(context.id, 'sleep', error);
        output.stderr(`  ${context.id}: asking without a learned context\n`);
      }
      for (const { question, expected } of context.questions) {
        totals.questions += 1;
        const withLearned = learned ? await askOrFail(() => engine.ask(context.id, question, { verbosity: demoVerbosity, ...budget }), (error) => failed(context.id, 'ask', error)) : undefined;
        const withoutLearned = await askOrFail(
          () => engine.ask(context.id, question, { verbosity: demoVerbosity, useLearned: false, ...budget }),
          (error) => failed(context.id, 'test-time-only ask', error),
        );
        if (withLearned !== undefined) {
          totals.withLearned += withLearned.usage.outputTokens;
          totals.answeredWith += 1;
          if (sameNumber(withLearned.final, expected)) totals.correctWith += 1;
        }
        if (withoutLearned !== undefined) {
          totals.withoutLearned += withoutLearned.usage.outputTokens;
          totals.answeredWithout += 1;
          if (sameNumber(withoutLearned.final, expected)) totals.correctWithout += 1;
        }
        const row = [
          context.id,
          truncate(question, 48),
          expected,
          learned ? answerCell(withLearned) : 'no learned context',
          withLearned === undefined ? '-' : String(withLearned.usage.outputTokens),
          answerCell(withoutLearned),
          withoutLearned === undefined ? '-' : String(withoutLearned.usage.outputTokens),
        ];
        rows.push(row);
        // As it comes: a slow model should not keep every answer back until the end.
        if (!options.json) output.stdout(`${context.id}: ${question} expected ${expected} | with learned: ${row[3]} (${row[4]} tokens) | test-time only: ${row[5]} (${row[6]} tokens)\n`);
      }
    }
    if (options.json) {
      printJson(output, {
        model: modelSpec,
        rows,
        totals,
        failures: failures.map(({ context, step, error }) => ({ context, step, code: error.code, message: error.message })),
      });
    } else {
      output.stdout(
        `\n${renderTable(['context', 'question', 'expected', 'with learned', 'tokens', 'test-time only', 'tokens'], rows)}\n\n` +
          `Test-time tokens generated: ${totals.withLearned} with the learned context, ${totals.withoutLearned} without ` +
          `(sleep-time: ${totals.sleep}, paid once per context).\n` +
          `Correct: ${totals.correctWith}/${totals.questions} with the learned context, ${totals.correctWithout}/${totals.questions} without.\n` +
          `Model: ${modelSpec}. Runs are stored; see them with: sleeptime runs ${demoContexts[0]?.id}\n`,
      );
    }
  });
  const first = failures[0];
  if (first !== undefined) {
    throw new SleeptimeError({
      code: 'demo_incomplete',
      category: first.error.category,
      message: `the demo finished with ${failures.length} failed step(s), each shown above; the first: ${first.context} ${first.step}: ${first.error.message}`,
      cause: first.error,
    });
  }
}

async function askOrFail(ask: () => Promise<AskResult>, onFailure: (error: unknown) => void): Promise<AskResult | undefined> {
  try {
    return await ask();
  } catch (error) {
    onFailure(error);
    return undefined;
  }
}

/** The final answer, flagged when a limit cut the answer short. */
function answerCell(result: AskResult | undefined): string {
  if (result === undefined) return 'failed';
  const final = result.final ?? '-';
  return result.truncated ? `${final} (truncated)` : final;
}

function sameNumber(found: string | null, expected: string): boolean {
  return found !== null && Number(found) === Number(expected);
}
