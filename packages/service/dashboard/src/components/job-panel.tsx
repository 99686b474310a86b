/** A context's sleep jobs: the one pending or running (with its attempts and when it is due), then the latest ones. */
import type { Api } from '../api.js';
import type { Job } from '../api-types.js';
import { relativeTime } from '../format.js';
import { useDebounced, useLive } from '../live.js';
import { useLoad } from '../use-load.js';
import { ErrorLine, StatusBadge } from './common.js';

export function JobPanel({ api, contextId }: { api: Api; contextId: string }) {
  const jobs = useLoad<{ data: Job[] }>((signal) => api.get(`/v1/contexts/${encodeURIComponent(contextId)}/jobs?limit=5`, signal), [api, contextId]);
  const reload = useDebounced(jobs.reload, 200);
  useLive((event) => {
    if (event === 'reconnected' || (event.type === 'job' && event.job.contextId === contextId)) reload();
  });
  const list = jobs.data?.data ?? [];
  const current = list.find((job) => job.status === 'pending' || job.status === 'running');
  return (
    <section class="job-panel" aria-labelledby="job-title">
      <h2 id="job-title">Sleep job</h2>
      <ErrorLine error={jobs.error} />
      {current === undefined ? (
        <p class="muted">No sleep is pending. A write starts one after the quiet period; “Sleep now” starts one at once.</p>
      ) : (
        <p class="current-job" data-job-status={current.status}>
          <StatusBadge status={current.status} /> attempt {current.attempts} of {current.maxAttempts}
          {current.status === 'pending' ? <>, due {relativeTime(current.runAfter)}</> : null}
          {current.error === null ? null : (
            <>
              {' '}
              (last error <code>{current.error.code}</code>: {current.error.message})
            </>
          )}
        </p>
      )}
      {list.length === 0 ? null : (
        <details>
          <summary>Latest jobs ({list.length})</summary>
          <ul class="plain">
            {list.map((job) => (
              <li key={job.id}>
                <StatusBadge status={job.status} /> {job.attempts}/{job.maxAttempts} attempts, updated {relativeTime(job.updatedAt)}
                {job.error === null ? null : (
                  <>
                    {' '}
                    — <code>{job.error.code}</code>
                  </>
                )}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
