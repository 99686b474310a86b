/** A context's learned-context versions: pick any two and read their differences side by side. */
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api.js';
import type { LearnedDiff, LearnedVersion } from '../api-types.js';
import { relativeTime } from '../format.js';
import { useLoad } from '../use-load.js';
import { Empty, ErrorLine } from './common.js';

interface SideBySideRow {
  kind: 'same' | 'changed' | 'removed' | 'added';
  left: { number: number; text: string } | null;
  right: { number: number; text: string } | null;
}

/** A hunk's unified lines as rows of two columns: removals beside the additions that replace them. */
export function sideBySide(hunk: LearnedDiff['hunks'][number]): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  let oldNumber = hunk.oldStart;
  let newNumber = hunk.newStart;
  let removed: string[] = [];
  let added: string[] = [];
  const flush = () => {
    for (let index = 0; index < Math.max(removed.length, added.length); index += 1) {
      const left = removed[index];
      const right = added[index];
      rows.push({
        kind: left !== undefined && right !== undefined ? 'changed' : left !== undefined ? 'removed' : 'added',
        left: left === undefined ? null : { number: oldNumber++, text: left },
        right: right === undefined ? null : { number: newNumber++, text: right },
      });
    }
    removed = [];
    added = [];
  };
  for (const line of hunk.lines) {
    const mark = line[0];
    const text = line.slice(1);
    if (mark === '-') removed.push(text);
    else if (mark === '+') added.push(text);
    else if (mark === ' ') {
      flush();
      rows.push({ kind: 'same', left: { number: oldNumber++, text }, right: { number: newNumber++, text } });
    }
  }
  flush();
  return rows;
}

function DiffTable({ diff }: { diff: LearnedDiff }) {
  if (diff.hunks.length === 0) return <Empty>Versions {diff.from} and {diff.to} are the same.</Empty>;
  return (
    <table class="diff" aria-label={`Differences between learned versions ${diff.from} and ${diff.to}`}>
      <thead>
        <tr>
          <th scope="col" colSpan={2}>
            Version {diff.from}
          </th>
          <th scope="col" colSpan={2}>
            Version {diff.to}
          </th>
        </tr>
      </thead>
      {diff.hunks.map((hunk, index) => (
        <tbody key={index}>
          <tr class="hunk-header">
            <td colSpan={4}>
              Lines {hunk.oldStart}–{hunk.oldStart + Math.max(0, hunk.oldLines - 1)} → {hunk.newStart}–{hunk.newStart + Math.max(0, hunk.newLines - 1)}
            </td>
          </tr>
          {sideBySide(hunk).map((row, rowIndex) => (
            <tr key={rowIndex} class={`diff-${row.kind}`}>
              <td class="line-number">{row.left?.number ?? ''}</td>
              <td class={row.left === null ? 'blank' : row.kind === 'same' ? '' : 'removed'}>{row.left?.text ?? ''}</td>
              <td class="line-number">{row.right?.number ?? ''}</td>
              <td class={row.right === null ? 'blank' : row.kind === 'same' ? '' : 'added'}>{row.right?.text ?? ''}</td>
            </tr>
          ))}
        </tbody>
      ))}
    </table>
  );
}

export function LearnedVersions({ api, contextId, versions, contextVersion }: { api: Api; contextId: string; versions: LearnedVersion[]; contextVersion: number | undefined }) {
  const count = versions.length;
  const [from, setFrom] = useState(Math.max(1, count - 1));
  const [to, setTo] = useState(count);
  // New versions arrive live: keep comparing the two latest until the user picks others.
  const [picked, setPicked] = useState(false);
  useEffect(() => {
    if (!picked) {
      setFrom(Math.max(1, count - 1));
      setTo(count);
    }
  }, [count, picked]);
  const diff = useLoad<LearnedDiff | undefined>(
    (signal) => (count < 2 || from === to ? Promise.resolve(undefined) : api.get<LearnedDiff>(`/v1/contexts/${encodeURIComponent(contextId)}/learned/diff?from=${from}&to=${to}`, signal)),
    [api, contextId, from, to, count],
  );
  if (count === 0) return <Empty>No learned context yet: the context has not been slept on.</Empty>;
  const shown = versions[to - 1] ?? versions.at(-1);
  const option = (version: LearnedVersion) => (
    <option key={version.version} value={version.version}>
      v{version.version} (context v{version.sourceVersion}, {relativeTime(version.createdAt)})
    </option>
  );
  return (
    <section aria-label="Learned context versions">
      {count < 2 ? (
        <p class="muted">One version so far: a diff needs two.</p>
      ) : (
        <form class="diff-picker" onSubmit={(event) => event.preventDefault()}>
          <label>
            From{' '}
            <select
              name="from"
              value={from}
              onChange={(event) => {
                setPicked(true);
                setFrom(Number(event.currentTarget.value));
              }}
            >
              {versions.map(option)}
            </select>
          </label>
          <label>
            to{' '}
            <select
              name="to"
              value={to}
              onChange={(event) => {
                setPicked(true);
                setTo(Number(event.currentTarget.value));
              }}
            >
              {versions.map(option)}
            </select>
          </label>
          {diff.data === undefined ? null : (
            <span class="muted" aria-live="polite">
              {diff.data.added} {diff.data.added === 1 ? "line" : "lines"} added, {diff.data.removed} removed
            </span>
          )}
        </form>
      )}
      <ErrorLine error={diff.error} />
      {diff.data === undefined ? null : <DiffTable diff={diff.data} />}
      {shown === undefined ? null : (
        <>
          <h2>
            Version {shown.version}{' '}
            <span class="muted">
              (from context v{shown.sourceVersion}
              {contextVersion !== undefined && shown.sourceVersion !== contextVersion ? ', which has changed since' : ''})
            </span>
          </h2>
          <pre class="text-block" tabIndex={0} aria-label={`Learned context version ${shown.version}`}>
            {shown.text}
          </pre>
        </>
      )}
    </section>
  );
}
