/** How numbers, times and sizes read on the page. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : integer.format(value);
}

export function decimal(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : oneDecimal.format(value);
}

export function milliseconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value < 1000 ? `${integer.format(value)} ms` : `${oneDecimal.format(value / 1000)} s`;
}

export function characters(value: number): string {
  if (value < 1000) return `${value} chars`;
  if (value < 1_000_000) return `${oneDecimal.format(value / 1000)}k chars`;
  return `${oneDecimal.format(value / 1_000_000)}M chars`;
}

/** "12 s ago", "in 3 min", or the date for anything older than a day. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return '–';
  const then = new Date(iso).getTime();
  const seconds = Math.round((then - now) / 1000);
  const size = Math.abs(seconds);
  const phrase = (amount: number, unit: string) => (seconds < 0 ? `${amount} ${unit} ago` : `in ${amount} ${unit}`);
  if (size < 5) return 'just now';
  if (size < 60) return phrase(size, 's');
  if (size < 3600) return phrase(Math.round(size / 60), 'min');
  if (size < 86_400) return phrase(Math.round(size / 3600), 'h');
  return new Date(iso).toLocaleString();
}

export function percentChange(from: number | null, to: number | null): string {
  if (from === null || to === null || from === 0) return '–';
  const change = ((to - from) / from) * 100;
  return `${change > 0 ? '+' : ''}${oneDecimal.format(change)}%`;
}
