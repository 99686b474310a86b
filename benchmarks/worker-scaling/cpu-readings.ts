/** CPU readings from /proc (Linux), to tell how busy the shared cores were during a measured run. */
import { readFile } from 'node:fs/promises';

/** USER_HZ: 100 on every Linux (a kernel ABI constant for /proc). */
const clockTicksPerSecond = 100;

/** CPU time (user + system) a process has used so far, in milliseconds; undefined where /proc has none. */
export async function processCpuMs(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // The fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / clockTicksPerSecond : undefined;
}

/** Cumulative jiffies of all cores: busy (everything but idle and iowait) and total. */
export interface CpuTimes {
  busy: number;
  total: number;
}

export async function machineCpuTimes(): Promise<CpuTimes | undefined> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => undefined);
  const line = stat?.split('\n').find((row) => row.startsWith('cpu '));
  if (line === undefined) return undefined;
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share of all cores' time that was busy between two readings (0 to 1). */
export function busyShare(before: CpuTimes | undefined, after: CpuTimes | undefined): number | undefined {
  if (before === undefined || after === undefined || after.total <= before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}
