import { groupDigits } from '../util.js';
import type { CounterRow, StatResult } from './run.js';

function pct(r: CounterRow): number {
  return r.enabledNs > 0 ? (100 * r.runningNs) / r.enabledNs : 0;
}

function comment(r: CounterRow, elapsedNs: number): string {
  if (r.status !== 'counted' || elapsedNs <= 0) return '';
  const perSec = (r.scaled * 1e9) / elapsedNs;
  if (r.unit === 'Bytes') return `#  ${(perSec / 1e9).toFixed(2)} GB/s`;
  if (/\/(cycles|bus_cycles)[/,]/.test(`${r.event}/`) || r.event.endsWith('/cycles/')) return `#  ${(perSec / 1e9).toFixed(3)} GHz`;
  return `#  ${groupDigits(perSec / 1e6, 3)} M/sec`;
}

/** perf stat's human output. */
export function printHuman(res: StatResult, out: (line: string) => void, interval?: number): void {
  if (interval === undefined) {
    out('');
    out(` Performance counter stats for '${res.target}':`);
    out('');
  }
  for (const r of res.rows) out(humanLine(r, res.elapsedNs, interval));
  if (interval === undefined) {
    out('');
    out(`${(res.elapsedNs / 1e9).toFixed(9).padStart(17)} seconds time elapsed`);
    out('');
  }
}

export function humanLine(r: CounterRow, elapsedNs: number, intervalNs?: number): string {
  const prefix = intervalNs === undefined ? '' : `${(intervalNs / 1e9).toFixed(9).padStart(15)} `;
  if (r.status === 'not-supported') return `${prefix}${'<not supported>'.padStart(18)}       ${r.event}`;
  if (r.status === 'not-counted') return `${prefix}${'<not counted>'.padStart(18)}       ${r.event}`;
  const value = r.unit ? groupDigits(r.scaled, 2) : groupDigits(Math.round(r.scaled));
  const p = pct(r);
  const mux = p < 99.995 ? `  (${p.toFixed(2)}%)` : '';
  return `${prefix}${value.padStart(18)} ${r.unit.padEnd(5)} ${r.event.padEnd(44)} ${comment(r, elapsedNs)}${mux}`.trimEnd();
}

/** perf stat -x SEP: value, unit, event, running time, percentage running. */
export function csvLine(r: CounterRow, sep: string, intervalNs?: number): string {
  const value = r.status === 'counted' ? String(r.unit ? r.scaled.toFixed(2) : Math.round(r.scaled)) : r.status === 'not-counted' ? '<not counted>' : '<not supported>';
  const fields = [value, r.unit, r.event, String(r.runningNs), pct(r).toFixed(2)];
  return (intervalNs === undefined ? '' : `${(intervalNs / 1e9).toFixed(9)}${sep}`) + fields.join(sep);
}

/** perf stat --json: one object per counter. */
export function jsonLine(r: CounterRow, intervalNs?: number): string {
  return JSON.stringify({
    ...(intervalNs === undefined ? {} : { interval: intervalNs / 1e9 }),
    'counter-value': r.status === 'counted' ? r.scaled.toFixed(6) : r.status === 'not-counted' ? '<not counted>' : '<not supported>',
    unit: r.unit,
    event: r.event,
    cpu: r.cpu,
    'event-runtime': r.runningNs,
    'pcnt-running': Number(pct(r).toFixed(2)),
    ...(r.error ? { error: r.error } : {}),
  });
}
