import { SleeptimeError } from '@sleeptime/core';
import { formatUsage, printJson, renderTable, truncate } from './format.js';
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

export async function runDemo(options: GlobalOptions, output: CliOutput): Promise<void> {
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

    const rows: string[][] = [];
    const totals = { sleep: 0, withLearned: 0, withoutLearned: 0, correctWith: 0, correctWithout: 0, questions: 0 };
    for (const context of demoContexts) {
      await engine.putContext({ id: context.id, text: context.text, metadata: { demo: true } });
      output.stderr(`Sleeping on ${context.id}...\n`);
      const sleep = await engine.sleep(context.id, {});
      // Providers count reasoning tokens inside outputTokens: output tokens are all generated tokens.
      totals.sleep += sleep.usage.outputTokens;
      output.stderr(`  learned context: ${sleep.learned.length} characters, sleep-time tokens: ${formatUsage(sleep.usage)}\n`);
      for (const { question, expected } of context.questions) {
        output.stderr(`  asking: ${question}\n`);
        const withLearned = await engine.ask(context.id, question, { verbosity: 1 });
        const withoutLearned = await engine.ask(context.id, question, { verbosity: 1, useLearned: false });
        const generated = (usage: { outputTokens: number }) => usage.outputTokens;
        totals.withLearned += generated(withLearned.usage);
        totals.withoutLearned += generated(withoutLearned.usage);
        totals.questions += 1;
        if (sameNumber(withLearned.final, expected)) totals.correctWith += 1;
        if (sameNumber(withoutLearned.final, expected)) totals.correctWithout += 1;
        rows.push([
          context.id,
          truncate(question, 48),
          expected,
          withLearned.final ?? '-',
          String(generated(withLearned.usage)),
          withoutLearned.final ?? '-',
          String(generated(withoutLearned.usage)),
        ]);
      }
    }
    if (options.json) {
      printJson(output, { model: modelSpec, rows, totals });
      return;
    }
    output.stdout(
      `\n${renderTable(['context', 'question', 'expected', 'with learned', 'tokens', 'test-time only', 'tokens'], rows)}\n\n` +
        `Test-time tokens generated: ${totals.withLearned} with the learned context, ${totals.withoutLearned} without ` +
        `(sleep-time: ${totals.sleep}, paid once per context).\n` +
        `Correct: ${totals.correctWith}/${totals.questions} with the learned context, ${totals.correctWithout}/${totals.questions} without.\n` +
        `Model: ${modelSpec}. Runs are stored; see them with: sleeptime runs ${demoContexts[0]?.id}\n`,
    );
  });
}

function sameNumber(found: string | null, expected: string): boolean {
  return found !== null && Number(found) === Number(expected);
}
