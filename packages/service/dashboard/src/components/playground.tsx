/**
 * The ask playground: one question asked twice at once, with the learned context and without it
 * (the test-time-only baseline, `useLearned: false`), both streamed, each with its tokens and latency.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api, StreamedAsk } from '../api.js';
import { count, milliseconds, percentChange } from '../format.js';
import { ErrorLine } from './common.js';

interface Side {
  text: string;
  result?: StreamedAsk;
  error?: Error;
  running: boolean;
}

const idle: Side = { text: '', running: false };

function AnswerPanel({ title, side, testId }: { title: string; side: Side; testId: string }) {
  const usage = side.result?.answer.usage;
  return (
    <section class="answer" data-side={testId} aria-label={title} aria-busy={side.running}>
      <h3>{title}</h3>
      <div class="answer-text" aria-live="polite">
        {side.text === '' && side.running ? <span class="muted">Waiting for the first token…</span> : side.text}
      </div>
      <ErrorLine error={side.error} />
      {side.result === undefined || usage === undefined ? null : (
        <dl class="answer-metrics">
          <div>
            <dt>Output tokens</dt>
            <dd data-metric="output-tokens">{count(usage.outputTokens)}</dd>
          </div>
          <div>
            <dt>Input tokens</dt>
            <dd data-metric="input-tokens">{count(usage.inputTokens)}</dd>
          </div>
          <div>
            <dt>Latency</dt>
            <dd data-metric="latency">{milliseconds(side.result.answer.latencyMs)}</dd>
          </div>
          <div>
            <dt>First token</dt>
            <dd>{milliseconds(side.result.firstPieceMs)}</dd>
          </div>
          <div>
            <dt>Final answer</dt>
            <dd>{side.result.answer.final ?? '–'}</dd>
          </div>
          <div>
            <dt>Learned context</dt>
            <dd>{side.result.answer.fresh === null ? 'none' : side.result.answer.fresh ? 'fresh' : 'stale'}</dd>
          </div>
          {side.result.answer.truncated ? (
            <div>
              <dt>Cut short</dt>
              <dd>{side.result.answer.truncatedBy}</dd>
            </div>
          ) : null}
        </dl>
      )}
    </section>
  );
}

export function Playground({ api, contextId, hasLearned }: { api: Api; contextId: string; hasLearned: boolean }) {
  const [question, setQuestion] = useState('');
  const [verbosity, setVerbosity] = useState('0');
  const [maxTokens, setMaxTokens] = useState('');
  const [learned, setLearned] = useState<Side>(idle);
  const [baseline, setBaseline] = useState<Side>(idle);
  const running = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => running.current?.abort(), []);

  const ask = async (event?: Event) => {
    event?.preventDefault();
    if (question.trim() === '') return;
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    const body = { question, verbosity: Number(verbosity), ...(maxTokens.trim() === '' ? {} : { maxTokens: Number(maxTokens) }) };
    const one = async (useLearned: boolean, set: (update: (side: Side) => Side) => void) => {
      set(() => ({ text: '', running: true }));
      try {
        const result = await api.streamAsk(contextId, { ...body, useLearned }, (text) => set((side) => ({ ...side, text: side.text + text })), controller.signal);
        set((side) => ({ ...side, text: result.answer.answer, result, running: false }));
      } catch (error) {
        set((side) => ({ ...side, running: false, ...(controller.signal.aborted ? {} : { error: error as Error }) }));
      }
    };
    await Promise.all([one(true, setLearned), one(false, setBaseline)]);
  };

  const busy = learned.running || baseline.running;
  const withTokens = learned.result?.answer.usage.outputTokens ?? null;
  const withoutTokens = baseline.result?.answer.usage.outputTokens ?? null;
  return (
    <section aria-labelledby="playground-title">
      <h2 id="playground-title">Ask</h2>
      {hasLearned ? null : <p class="notice">This context has no learned context yet: both answers will be test-time only.</p>}
      <form class="ask-form" onSubmit={(event) => void ask(event)}>
        <label for="question">Question</label>
        <textarea
          id="question"
          rows={3}
          value={question}
          onInput={(event) => setQuestion(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void ask(event);
          }}
          placeholder="Ask about this context (Ctrl+Enter to ask)"
        />
        <div class="ask-options">
          <label>
            Verbosity{' '}
            <select value={verbosity} onChange={(event) => setVerbosity(event.currentTarget.value)}>
              {['0', '1', '2', '3', '4'].map((level) => (
                <option key={level} value={level}>
                  {level}
                </option>
              ))}
            </select>
          </label>
          <label>
            Max tokens <input type="number" min={1} max={100000} inputMode="numeric" value={maxTokens} onInput={(event) => setMaxTokens(event.currentTarget.value)} placeholder="default" />
          </label>
          <button type="submit" disabled={busy || question.trim() === ''}>
            {busy ? 'Asking…' : 'Ask both'}
          </button>
          {busy ? (
            <button type="button" onClick={() => running.current?.abort()}>
              Stop
            </button>
          ) : null}
        </div>
      </form>
      {withTokens !== null && withoutTokens !== null ? (
        <p class="comparison" role="status">
          With the learned context: {count(withTokens)} output tokens against {count(withoutTokens)} without ({percentChange(withoutTokens, withTokens)}).
        </p>
      ) : null}
      <div class="answers">
        <AnswerPanel title="With the learned context" side={learned} testId="learned" />
        <AnswerPanel title="Test-time only (baseline)" side={baseline} testId="baseline" />
      </div>
    </section>
  );
}
