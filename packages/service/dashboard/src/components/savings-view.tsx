/**
 * What the learned contexts saved: test-time tokens and latency with the learned context against
 * the test-time-only baseline, and the paper's amortized cost per question, sleep/N + t × test
 * (generated tokens; a test-time token costs t sleep-time tokens), with t chosen on the page.
 */
import { useState } from 'preact/hooks';
import type { Api } from '../api.js';
import type { Savings, SavingsPage as SavingsPageData } from '../api-types.js';
import { count, decimal, milliseconds, percentChange } from '../format.js';
import { useDebounced, useLive } from '../live.js';
import { href } from '../router.js';
import { useLoad } from '../use-load.js';
import { Empty, ErrorLine, Pager } from './common.js';

function WeightInput({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label class="weight">
      t (test-time token price in sleep-time tokens){' '}
      <input type="number" min={0} max={1000} step="any" value={value} onInput={(event) => onChange(event.currentTarget.value)} />
    </label>
  );
}

function validWeight(value: string): number {
  const number = Number(value);
  return value.trim() !== '' && Number.isFinite(number) && number >= 0 && number <= 1000 ? number : 10;
}

/** Cost per question against the number of questions N: sleep/N + t × test with the learned context, t × test without. */
function CostChart({ savings, weight }: { savings: Savings; weight: number }) {
  const learned = savings.withLearned.meanOutputTokens;
  const baseline = savings.baseline.meanOutputTokens;
  if (learned === null || baseline === null) return null;
  const maxN = Math.max(10, savings.withLearned.asks * 2);
  const points = Array.from({ length: maxN }, (_, index) => index + 1);
  const withCost = (n: number) => savings.sleep.outputTokens / n + weight * learned;
  const top = Math.max(withCost(1), weight * baseline, 1) * 1.1;
  const width = 480;
  const height = 200;
  const left = 56;
  const bottom = 28;
  const x = (n: number) => left + ((n - 1) / Math.max(1, maxN - 1)) * (width - left - 10);
  const y = (cost: number) => 10 + (1 - cost / top) * (height - bottom - 10);
  const path = points.map((n, index) => `${index === 0 ? 'M' : 'L'}${x(n).toFixed(1)},${y(withCost(n)).toFixed(1)}`).join(' ');
  const nowN = savings.withLearned.asks;
  return (
    <figure class="cost-chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Cost per question against the number of questions, t = ${weight}`}>
        <line x1={left} y1={height - bottom} x2={width - 10} y2={height - bottom} class="axis" />
        <line x1={left} y1={10} x2={left} y2={height - bottom} class="axis" />
        <text x={left - 6} y={y(top / 1.1) + 4} class="tick" text-anchor="end">
          {count(top / 1.1)}
        </text>
        <text x={left - 6} y={height - bottom} class="tick" text-anchor="end">
          0
        </text>
        <text x={x(1)} y={height - 8} class="tick">
          1
        </text>
        <text x={x(maxN)} y={height - 8} class="tick" text-anchor="end">
          {maxN} questions
        </text>
        <line x1={x(1)} x2={x(maxN)} y1={y(weight * baseline)} y2={y(weight * baseline)} class="series-baseline" />
        <path d={path} class="series-learned" />
        {nowN >= 1 && nowN <= maxN ? <circle cx={x(nowN)} cy={y(withCost(nowN))} r={4} class="series-learned-point" /> : null}
      </svg>
      <figcaption>
        <span class="key key-learned">with the learned context</span> <span class="key key-baseline">test-time only</span> — cost per question in sleep-time tokens; the dot is
        the {nowN} questions asked so far.
      </figcaption>
    </figure>
  );
}

export function SavingsSummary({ savings, weight }: { savings: Savings; weight: number }) {
  const { withLearned, baseline } = savings;
  return (
    <div class="savings">
      <table class="savings-table">
        <thead>
          <tr>
            <th scope="col">Answered asks</th>
            <th scope="col" class="number">With the learned context</th>
            <th scope="col" class="number">Test-time only</th>
            <th scope="col" class="number">Change</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Asks</th>
            <td class="number">{count(withLearned.asks)}</td>
            <td class="number">{count(baseline.asks)}</td>
            <td />
          </tr>
          <tr>
            <th scope="row">Test-time tokens (generated, mean)</th>
            <td class="number" data-metric="learned-tokens">{decimal(withLearned.meanOutputTokens)}</td>
            <td class="number" data-metric="baseline-tokens">{decimal(baseline.meanOutputTokens)}</td>
            <td class="number">{savings.comparable ? percentChange(baseline.meanOutputTokens, withLearned.meanOutputTokens) : '–'}</td>
          </tr>
          <tr>
            <th scope="row">Input tokens (mean)</th>
            <td class="number">{decimal(withLearned.meanInputTokens)}</td>
            <td class="number">{decimal(baseline.meanInputTokens)}</td>
            <td class="number">{savings.comparable ? percentChange(baseline.meanInputTokens, withLearned.meanInputTokens) : '–'}</td>
          </tr>
          <tr>
            <th scope="row">Latency (mean)</th>
            <td class="number">{milliseconds(withLearned.meanLatencyMs)}</td>
            <td class="number">{milliseconds(baseline.meanLatencyMs)}</td>
            <td class="number">{savings.comparable ? percentChange(baseline.meanLatencyMs, withLearned.meanLatencyMs) : '–'}</td>
          </tr>
          <tr>
            <th scope="row">Time to first token (mean)</th>
            <td class="number">{milliseconds(withLearned.meanTimeToFirstTokenMs)}</td>
            <td class="number">{milliseconds(baseline.meanTimeToFirstTokenMs)}</td>
            <td />
          </tr>
          <tr>
            <th scope="row">Cost per question (sleep/N + t × test)</th>
            <td class="number" data-metric="learned-cost">{decimal(savings.costPerQuestion?.withLearned)}</td>
            <td class="number" data-metric="baseline-cost">{decimal(savings.costPerQuestion?.baseline)}</td>
            <td class="number">{savings.costPerQuestion === null ? '–' : percentChange(savings.costPerQuestion.baseline, savings.costPerQuestion.withLearned)}</td>
          </tr>
        </tbody>
      </table>
      <p class="muted">
        Sleep-time: {count(savings.sleep.runs)} runs, {count(savings.sleep.outputTokens)} generated tokens ({count(savings.sleep.inputTokens)} read), shared over{' '}
        {count(withLearned.asks)} questions. {savings.comparable ? '' : 'A comparison needs answered asks both with the learned context and without it (the playground asks both).'}
      </p>
      {savings.comparable ? <CostChart savings={savings} weight={weight} /> : null}
    </div>
  );
}

export function ContextSavings({ api, contextId }: { api: Api; contextId: string }) {
  const [weightText, setWeightText] = useState('10');
  const weight = validWeight(weightText);
  const savings = useLoad<Savings>((signal) => api.get(`/v1/contexts/${encodeURIComponent(contextId)}/savings?testTokenWeight=${weight}`, signal), [api, contextId, weight]);
  const reload = useDebounced(savings.reload, 500);
  useLive((event) => {
    if (event === 'reconnected' || (event.type === 'run' && event.run.contextId === contextId && event.run.status !== 'running')) reload();
  });
  return (
    <section aria-labelledby="context-savings-title">
      <h2 id="context-savings-title">Savings</h2>
      <WeightInput value={weightText} onChange={setWeightText} />
      <ErrorLine error={savings.error} />
      {savings.data === undefined ? null : <SavingsSummary savings={savings.data} weight={weight} />}
    </section>
  );
}

export function SavingsPage({ api }: { api: Api }) {
  const [weightText, setWeightText] = useState('10');
  const weight = validWeight(weightText);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const page = useLoad<SavingsPageData>(
    (signal) => api.get(`/v1/savings?testTokenWeight=${weight}&limit=20${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, signal),
    [api, weight, cursor],
  );
  const reload = useDebounced(page.reload, 800);
  useLive((event) => {
    if (event === 'reconnected' || (event.type === 'run' && event.run.status !== 'running')) reload();
  });
  const data = page.data;
  return (
    <section aria-labelledby="savings-title">
      <div class="page-header">
        <h1 id="savings-title">Savings</h1>
        <WeightInput value={weightText} onChange={setWeightText} />
      </div>
      <ErrorLine error={page.error} />
      {data === undefined ? null : (
        <>
          <h2>Overall</h2>
          <p class="muted">Over the {count(data.overall.contexts)} contexts with answered asks both with the learned context and without it.</p>
          <SavingsSummary savings={data.overall} weight={weight} />
          <h2>Per context</h2>
          {data.data.length === 0 ? (
            <Empty>No runs yet.</Empty>
          ) : (
            <table class="per-context">
              <thead>
                <tr>
                  <th scope="col">Context</th>
                  <th scope="col" class="number">Asks (learned / baseline)</th>
                  <th scope="col" class="number">Test-time tokens (learned / baseline)</th>
                  <th scope="col" class="number">Latency (learned / baseline)</th>
                  <th scope="col" class="number">Cost per question (learned / baseline)</th>
                </tr>
              </thead>
              <tbody>
                {data.data.map((row) => (
                  <tr key={row.contextId}>
                    <th scope="row">
                      <a href={href({ page: 'context', id: row.contextId, tab: 'savings' })}>{row.contextId}</a>
                    </th>
                    <td class="number">
                      {count(row.withLearned.asks)} / {count(row.baseline.asks)}
                    </td>
                    <td class="number">
                      {decimal(row.withLearned.meanOutputTokens)} / {decimal(row.baseline.meanOutputTokens)}
                    </td>
                    <td class="number">
                      {milliseconds(row.withLearned.meanLatencyMs)} / {milliseconds(row.baseline.meanLatencyMs)}
                    </td>
                    <td class="number">{row.costPerQuestion === null ? '–' : `${decimal(row.costPerQuestion.withLearned)} / ${decimal(row.costPerQuestion.baseline)}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Pager label="Pages of contexts" cursors={cursors} setCursors={setCursors} nextCursor={data.nextCursor} />
        </>
      )}
    </section>
  );
}
