/** Small pieces every view uses: status badges, error lines, empty states. */
import type { ComponentChildren } from 'preact';

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status}</span>;
}

export function ErrorLine({ error }: { error: Error | undefined }) {
  if (error === undefined) return null;
  const code = (error as { code?: string }).code;
  return (
    <p class="error" role="alert">
      {code === undefined ? '' : <code>{code}</code>} {error.message}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Freshness({ learned }: { learned: { fresh: boolean; versions?: number } | null }) {
  if (learned === null) return <span class="badge learned-none">no learned context</span>;
  return <span class={`badge ${learned.fresh ? 'learned-fresh' : 'learned-stale'}`}>{learned.fresh ? 'fresh' : 'stale'}</span>;
}

/**
 * Previous and next page of a cursor-paged list. `cursors` holds the cursor of every page up to the
 * current one (the first is undefined), so going back needs no request of its own.
 */
export function Pager({
  label,
  cursors,
  setCursors,
  nextCursor,
  showPageNumber = false,
}: {
  label: string;
  cursors: (string | undefined)[];
  setCursors: (cursors: (string | undefined)[]) => void;
  nextCursor: string | null | undefined;
  showPageNumber?: boolean;
}) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
        Previous page
      </button>
      {showPageNumber && <span class="muted">Page {cursors.length}</span>}
      <button type="button" disabled={nextCursor == null} onClick={() => nextCursor != null && setCursors([...cursors, nextCursor])}>
        Next page
      </button>
    </nav>
  );
}
