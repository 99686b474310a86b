/**
 * A context's runs, newest first, as a timeline: sleep-time runs (sleep) and test-time runs (asks)
 * with status, tokens, latency, time to first token and prefix-cache hits; a run opens to show its
 * model calls. Runs that start or end appear as they do.
 */
import { useState } from 'preact/hooks';
import type { Api } from '../api.js';
import type { ModelCall, Run, Usage } from '../api-types.js';
import { count, milliseconds, relativeTime } from '../format.js';
import { useDebounced, useLive } from '../live.js';
import { useLoad } from '../use-load.js';
import { Empty, ErrorLine, StatusBadge } from './common.js';

function UsageText({ usage, partial }: { usage: Usage; partial?: boolean }) {
  return (
    <span class="usage">
      {count(usage.inputTokens)} in · {count(usage.outputTokens)} out{usage.reasoningTokens > 0 ? ` (${count(usage.reasoningTokens)} reasoning)` : ''}
      {partial === true ? ' (partial)' : ''}
    </span>
  );
}

function RunCalls({ api, runId }: { api: Api; runId: string }) {
  const run = useLoad<Run & { calls: ModelCall[] }>((signal) => api.get(`/v1/runs/${encodeURIComponent(runId)}`, signal), [api, runId]);
  if (run.error !== undefined) return <ErrorLine error={run.error} />;
  if (run.data === undefined) return <p class="muted">Loading…</p>;
  const { calls, prefixWarmUp, settings } = run.data;
  return (
    <div class="run-details">
      {calls.length === 0 ? (
        <p class="muted">No model calls recorded.</p>
      ) : (
        <table class="calls">
          <thead>
            <tr>
              <th scope="col">Phase</th>
              <th scope="col" class="number">Branch</th>
              <th scope="col" class="number">Step</th>
              <th scope="col">Tokens</th>
              <th scope="col">Finish</th>
              <th scope="col" class="number">Duration</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((call, index) => (
              <tr key={index}>
                <td>{call.phase === 'sleep' ? 'sleep-time' : 'test-time'}</td>
                <td class="number">{call.branch}</td>
                <td class="number">{call.step}</td>
                <td>
                  <UsageText usage={call.usage} />
                </td>
                <td>{call.finishReason}</td>
                <td class="number">{milliseconds(call.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {prefixWarmUp === null ? null : (
        <p>
          Prefix warm-up: {prefixWarmUp.status} in {milliseconds(prefixWarmUp.durationMs)}
          {prefixWarmUp.prefixTokens === undefined ? '' : `, ${count(prefixWarmUp.prefixTokens)} prefix tokens`}
          {prefixWarmUp.error === undefined ? '' : ` (${prefixWarmUp.error.code})`}
        </p>
      )}
      <details>
        <summary>Settings</summary>
        <pre class="json">{JSON.stringify(settings, null, 2)}</pre>
      </details>
    </div>
  );
}

function RunEntry({ api, run, longestMs }: { api: Api; run: Run; longestMs: number }) {
  const [open, setOpen] = useState(false);
  const width = run.durationMs === null || longestMs === 0 ? 0 : Math.max(2, (run.durationMs / longestMs) * 100);
  return (
    <li class={`run run-${run.kind} run-${run.status}`} data-run-id={run.id} data-run-status={run.status} data-run-kind={run.kind}>
      <div class="run-line">
        <time dateTime={run.startedAt ?? undefined} title={run.startedAt ?? ''}>
          {relativeTime(run.startedAt)}
        </time>
        <span class={`badge kind-${run.kind}`}>{run.kind === 'sleep' ? 'sleep-time' : 'test-time'}</span>
        <StatusBadge status={run.status} />
        <span class="run-summary">
          {run.kind === 'ask' ? <q>{(run.question ?? '').slice(0, 120)}</q> : <span>context v{run.sourceVersion}</span>}
          {run.kind === 'ask' ? <span class="muted"> {run.fresh === null ? 'without learned context' : run.fresh ? 'fresh learned context' : 'stale learned context'}</span> : null}
        </span>
        <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Hide calls' : 'Calls'}
        </button>
      </div>
      <div class="bar" aria-hidden="true">
        <span style={{ width: `${width}%` }} />
      </div>
      <div class="run-metrics">
        <UsageText usage={run.usage} partial={run.usagePartial} />
        <span>latency {milliseconds(run.durationMs)}</span>
        {run.kind === 'ask' ? <span>first token {milliseconds(run.timeToFirstTokenMs)}</span> : null}
        {run.kind === 'ask' ? <span>prefix cache {run.prefixCacheHit === null ? 'not reported' : run.prefixCacheHit ? 'hit' : 'miss'}</span> : null}
        {run.truncated ? <span class="warning">truncated by {run.truncatedBy}</span> : null}
        {run.error === null ? null : (
          <span class="error-text">
            <code>{run.error.code}</code> {run.error.message}
          </span>
        )}
      </div>
      {open ? <RunCalls api={api} runId={run.id} /> : null}
    </li>
  );
}

export function RunsTimeline({ api, contextId }: { api: Api; contextId: string }) {
  const runs = useLoad<{ data: Run[] }>((signal) => api.get(`/v1/contexts/${encodeURIComponent(contextId)}/runs?limit=50`, signal), [api, contextId]);
  // Live runs are shown at once, then the list is read again for the rest.
  const [live, setLive] = useState<Map<string, Run>>(new Map());
  const reload = useDebounced(() => {
    runs.reload();
  }, 500);
  useLive((event) => {
    if (event === 'reconnected') return reload();
    if (event.type === 'run' && event.run.contextId === contextId) {
      setLive((previous) => new Map(previous).set(event.run.id, event.run));
      reload();
    }
  });
  const loaded = runs.data?.data ?? [];
  const byId = new Map(loaded.map((run) => [run.id, run]));
  for (const run of live.values()) {
    const known = byId.get(run.id);
    // The newer of the two: a live event may be ahead of the last read, or behind it.
    if (known === undefined || (known.status === 'running' && run.status !== 'running')) byId.set(run.id, run);
  }
  const list = [...byId.values()].sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
  const longestMs = Math.max(0, ...list.map((run) => run.durationMs ?? 0));
  const phase = (kind: Run['kind']) => list.filter((run) => run.kind === kind).reduce((total, run) => total + run.usage.inputTokens + run.usage.outputTokens, 0);
  return (
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      <ErrorLine error={runs.error} />
      {list.length === 0 ? (
        <Empty>No runs yet.</Empty>
      ) : (
        <>
          <p class="muted">
            Shown: {list.length} runs; sleep-time {count(phase('sleep'))} tokens, test-time {count(phase('ask'))} tokens (input + output).
          </p>
          <ol class="timeline">
            {list.map((run) => (
              <RunEntry key={run.id} api={api} run={run} longestMs={longestMs} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
