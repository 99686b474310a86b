/** One context: its header (version, size, learned context, a sleep button) and its tabs. */
import { useState } from 'preact/hooks';
import type { Api } from '../api.js';
import type { ContextRecord, LearnedVersion, Run } from '../api-types.js';
import { characters, relativeTime } from '../format.js';
import { useDebounced, useLive } from '../live.js';
import { contextTabs, href, type ContextTab } from '../router.js';
import { useLoad } from '../use-load.js';
import { ErrorLine, Freshness } from './common.js';
import { JobPanel } from './job-panel.js';
import { LearnedVersions } from './learned-versions.js';
import { Playground } from './playground.js';
import { RunsTimeline } from './runs-timeline.js';
import { ContextSavings } from './savings-view.js';

const tabLabels: Record<ContextTab, string> = { overview: 'Overview', learned: 'Learned context', runs: 'Runs', ask: 'Ask', savings: 'Savings' };

export function ContextPage({ api, id, tab }: { api: Api; id: string; tab: ContextTab }) {
  const path = `/v1/contexts/${encodeURIComponent(id)}`;
  const context = useLoad<ContextRecord>((signal) => api.get(path, signal), [api, path]);
  const learned = useLoad<{ data: LearnedVersion[] }>((signal) => api.get(`${path}/learned/history`, signal), [api, path]);
  const reload = useDebounced(() => {
    context.reload();
    learned.reload();
  }, 300);
  useLive((event) => {
    if (event === 'reconnected' || (event.type === 'run' ? event.run.contextId : event.job.contextId) === id) reload();
  });
  const [sleepState, setSleepState] = useState<{ run?: Run; error?: Error; sending: boolean }>({ sending: false });

  const sleepNow = async () => {
    setSleepState({ sending: true });
    try {
      setSleepState({ run: await api.send<Run>('POST', `${path}/sleep`, {}), sending: false });
    } catch (error) {
      setSleepState({ error: error as Error, sending: false });
    }
  };

  const record = context.data;
  const latest = learned.data?.data.at(-1);
  return (
    <section aria-labelledby="context-title">
      <p class="breadcrumb">
        <a href={href({ page: 'contexts' })}>Contexts</a> /
      </p>
      <div class="page-header">
        <h1 id="context-title">{id}</h1>
        <div class="actions">
          <button type="button" onClick={() => void sleepNow()} disabled={sleepState.sending || record === undefined}>
            {sleepState.sending ? 'Queuing…' : 'Sleep now'}
          </button>
        </div>
      </div>
      <ErrorLine error={context.error} />
      <ErrorLine error={sleepState.error} />
      {sleepState.run === undefined ? null : (
        <p class="notice" role="status">
          Sleep queued: run <code>{sleepState.run.id}</code>. It appears under Runs when it starts.
        </p>
      )}
      {record === undefined ? null : (
        <dl class="facts">
          <div>
            <dt>Version</dt>
            <dd>{record.version}</dd>
          </div>
          <div>
            <dt>Size</dt>
            <dd>{characters(record.text.length)}</dd>
          </div>
          <div>
            <dt>Learned context</dt>
            <dd>
              <Freshness learned={latest === undefined ? null : { fresh: latest.sourceVersion === record.version }} />{' '}
              {latest === undefined ? null : (
                <span class="muted">
                  v{latest.version}, from context v{latest.sourceVersion}, {relativeTime(latest.createdAt)}
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd>{relativeTime(record.updatedAt)}</dd>
          </div>
        </dl>
      )}
      <nav class="tabs" aria-label="Views of this context">
        {contextTabs.map((name) => (
          <a key={name} href={href({ page: 'context', id, tab: name })} aria-current={name === tab ? 'page' : undefined}>
            {tabLabels[name]}
          </a>
        ))}
      </nav>
      <div class="tab-panel">
        {tab === 'overview' ? (
          <>
            <JobPanel api={api} contextId={id} />
            <h2>Text</h2>
            <pre class="text-block" tabIndex={0} aria-label="The context's text">
              {record?.text ?? ''}
            </pre>
          </>
        ) : tab === 'learned' ? (
          <LearnedVersions api={api} contextId={id} versions={learned.data?.data ?? []} contextVersion={record?.version} />
        ) : tab === 'runs' ? (
          <RunsTimeline api={api} contextId={id} />
        ) : tab === 'ask' ? (
          <Playground api={api} contextId={id} hasLearned={latest !== undefined} />
        ) : (
          <ContextSavings api={api} contextId={id} />
        )}
      </div>
    </section>
  );
}
