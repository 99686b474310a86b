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
