/** The tenant's contexts: search by id, page through them, each with its learned context, last sleep and asks. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api.js';
import type { ContextPage } from '../api-types.js';
import { characters, count, relativeTime } from '../format.js';
import { useDebounced, useLive } from '../live.js';
import { href } from '../router.js';
import { useLoad } from '../use-load.js';
import { Empty, ErrorLine, Freshness, Pager, StatusBadge } from './common.js';

const pageSize = 20;

export function ContextsPage({ api }: { api: Api }) {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  // The cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const searchBox = useRef<HTMLInputElement>(null);
  const applySearch = useDebounced(() => {
    setQuery(search.trim());
    setCursors([undefined]);
  }, 250);

  const page = useLoad<ContextPage>(
    (signal) => {
      const parameters = new URLSearchParams({ limit: String(pageSize) });
      if (cursor !== undefined) parameters.set('cursor', cursor);
      if (query !== '') parameters.set('search', query);
      return api.get(`/v1/contexts?${parameters}`, signal);
    },
    [api, cursor, query],
  );
  const reload = useDebounced(page.reload, 300);
  // A write starts or moves its context's sleep job, and runs end: either may change a row, or add one.
  useLive(() => reload());

  useEffect(() => {
    // "/" jumps to the search box, as on many sites.
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.key === '/' && target?.closest('input, textarea, select') == null) {
        event.preventDefault();
        searchBox.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const rows = page.data?.data ?? [];
  return (
    <section aria-labelledby="contexts-title">
      <div class="page-header">
        <h1 id="contexts-title">Contexts</h1>
        <div class="search">
          <label for="context-search">Search ids</label>
          <input
            id="context-search"
            ref={searchBox}
            type="search"
            placeholder="Search ids (press /)"
            value={search}
            onInput={(event) => {
              setSearch(event.currentTarget.value);
              applySearch();
            }}
          />
        </div>
      </div>
      <ErrorLine error={page.error} />
      {rows.length === 0 && !page.loading ? (
        <Empty>{query === '' ? 'No contexts yet. Put one with PUT /v1/contexts/:id or sleeptime context put.' : `No context id contains "${query}".`}</Empty>
      ) : (
        <table class="contexts" aria-busy={page.loading}>
          <thead>
            <tr>
              <th scope="col">Context</th>
              <th scope="col" class="number">Version</th>
              <th scope="col" class="number">Size</th>
              <th scope="col">Learned context</th>
              <th scope="col">Last sleep</th>
              <th scope="col" class="number">Asks answered</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-context={row.id}>
                <th scope="row">
                  <a href={href({ page: 'context', id: row.id, tab: 'overview' })}>{row.id}</a>
                </th>
                <td class="number">{row.version}</td>
                <td class="number">{characters(row.characters)}</td>
                <td>
                  <Freshness learned={row.learned} /> {row.learned === null ? null : <span class="muted">v{row.learned.versions}, from context v{row.learned.sourceVersion}</span>}
                </td>
                <td>
                  {row.lastSleep === null ? (
                    <span class="muted">never</span>
                  ) : (
                    <>
                      <StatusBadge status={row.lastSleep.status} /> <span class="muted">{relativeTime(row.lastSleep.startedAt)}</span>
                    </>
                  )}
                </td>
                <td class="number">{count(row.asks)}</td>
                <td>{relativeTime(row.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Pages of contexts" cursors={cursors} setCursors={setCursors} nextCursor={page.data?.nextCursor} showPageNumber />
    </section>
  );
}
