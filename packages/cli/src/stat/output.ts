// Where perf stat's report goes and how it is assembled: stderr or -o FILE, interval headers every 25 intervals, -r averages.
import { openSync, writeSync } from 'node:fs';
import { type AggregateOptions, aggregate, metricsOf, noiseOf, type StatLine, type StatSnapshot } from '@cspmu/perf-tool';
import { formatLine, intervalHeader, intervalPrefix, type PrintConfig, type PrintedLine } from './print.js';

/** The report stream: stderr, or a file that starts with perf's "# started on" line. */
export function reportSink(file: string | undefined): (text: string) => void {
  if (file === undefined) return (t) => void process.stderr.write(t);
  const fd = openSync(file, 'w');
  const now = new Date();
  writeSync(fd, `# started on ${ctime(now)}\n\n`);
  return (t) => void writeSync(fd, t);
}

/** C's ctime() without its newline: "Sun Nov 22 13:08:26 2026". */
function ctime(d: Date): string {
  const day = d.toLocaleString('en-US', { weekday: 'short' });
  const mon = d.toLocaleString('en-US', { month: 'short' });
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${day} ${mon} ${String(d.getDate()).padStart(2)} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** The lines of one snapshot with their metrics. */
export function printedLines(snap: StatSnapshot, agg: AggregateOptions): PrintedLine[] {
  const lines = aggregate(snap, agg);
  const metrics = metricsOf(lines, snap.spanNs);
  return lines.map((line, i) => ({ line, metric: metrics[i] }));
}

/** -r: each line's mean over the runs, with perf's noise figure. */
export function averagedLines(runs: readonly PrintedLine[][]): PrintedLine[] {
  const last = runs[runs.length - 1]!;
  return last.map((p, i) => {
    const all = runs.map((r) => r[i]!.line);
    const value = noiseOf(all.map((l) => l.value));
    const mean = (f: (l: StatLine) => number) => all.reduce((a, l) => a + f(l), 0) / all.length;
    const line: StatLine = { ...p.line, value: value.mean, raw: mean((l) => l.raw), ena: Math.round(mean((l) => l.ena)), run: Math.round(mean((l) => l.run)) };
    const metrics = runs.map((r) => r[i]!.metric?.value ?? 0);
    const metric = p.metric ? { ...p.metric, value: metrics.reduce((a, b) => a + b, 0) / metrics.length } : undefined;
    return { line, metric, noise: value.pct };
  });
}

/** Prints interval snapshots, repeating the std header every 25 intervals as perf does. */
export class IntervalPrinter {
  private printed = 0;
  constructor(
    private readonly cfg: PrintConfig,
    private readonly agg: AggregateOptions,
    private readonly write: (t: string) => void,
  ) {}

  print(snap: StatSnapshot): void {
    const prefix = intervalPrefix(this.cfg, snap.timestampNs);
    let out = '';
    if (this.printed === 0 && this.cfg.layout === 'std') out += `${intervalHeader(this.cfg)}\n`;
    this.printed = (this.printed + 1) % 25;
    for (const p of printedLines(snap, this.agg)) out += `${formatLine(this.cfg, p, prefix)}\n`;
    this.write(out);
  }
}
