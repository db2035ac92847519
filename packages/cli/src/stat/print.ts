// perf stat's output, line for line: the std (text), CSV (-x) and JSON (-j) layouts, the interval prefix and headers, the header and footer.
import { type AggrId, type AggrMode, type Metric, noiseOf, type StatLine } from '@cspmu/perf-tool';
import { fixed, left, type NumericLocale, right } from './locale.js';

export type Layout = 'std' | 'csv' | 'json';

export interface PrintConfig {
  readonly layout: Layout;
  /** The -x separator; a space in the std layout. */
  readonly sep: string;
  readonly mode: AggrMode;
  readonly unitWidth: number;
  readonly repeat: number;
  readonly locale: NumericLocale;
  /** -B/--no-big-num: group the std layout's counts as the locale does (perf's default); CSV and JSON never group. */
  readonly bigNum?: boolean;
}

/** A line with what perf derives for it. */
export interface PrintedLine {
  readonly line: StatLine;
  readonly metric: Metric | undefined;
  /** With -r: the relative noise in %. */
  readonly noise?: number;
}

const METRIC_LEN = 35;

function aggrText(cfg: PrintConfig, a: AggrId | undefined): string {
  if (!a) return '';
  const csv = cfg.layout === 'csv';
  const s = cfg.sep;
  if (cfg.layout === 'json') {
    if (a.mode === 'none') return `"cpu" : "${a.label}", `;
    const key = a.mode === 'socket' ? 'socket' : a.mode === 'node' ? 'node' : 'core';
    return `"${key}" : "${a.label}", "aggregate-number" : ${a.nr}, `;
  }
  if (a.mode === 'none') return `CPU${csv ? a.label : left(a.label, 7)}${s}`;
  const nr = csv ? String(a.nr) : right(String(a.nr), 4);
  if (a.mode === 'core') {
    const [head, core] = [a.label.slice(0, a.label.lastIndexOf('C') + 1), a.label.slice(a.label.lastIndexOf('C') + 1)];
    return `${head}${csv ? core : left(core, 8)}${s}${nr}${s}`;
  }
  const [letter, id] = [a.label[0]!, a.label.slice(1)];
  return `${letter}${csv ? id : left(id, 5)}${s}${nr}${s}`;
}

/** The metric's number as perf's "%8.3f", and in CSV with the padding stripped. */
function metricNumber(cfg: PrintConfig, m: Metric): string {
  return right(fixed(m.value, 3, cfg.locale), 8);
}

function stdMetric(cfg: PrintConfig, m: Metric | undefined): string {
  if (!m) return ' '.repeat(METRIC_LEN);
  const n = ` # ${metricNumber(cfg, m)}`;
  return `${n} ${left(m.unit, METRIC_LEN - n.length - 1)}`;
}

function noiseText(cfg: PrintConfig, p: PrintedLine): string {
  if (cfg.repeat <= 1) return '';
  const pct = p.noise ?? 0;
  if (cfg.layout === 'json') return `"variance" : ${fixed(pct, 2, cfg.locale)}, `;
  if (cfg.layout === 'csv') return `${cfg.sep}${fixed(pct, 2, cfg.locale)}%`;
  return pct ? `  ( +-${right(fixed(pct, 2, cfg.locale), 6)}% )` : '';
}

function runningText(cfg: PrintConfig, l: StatLine): string {
  // perf divides integers for CSV and JSON (a whole percentage), doubles for the std layout.
  const pct = l.run === l.ena ? 100 : cfg.layout === 'std' ? (100 * l.run) / l.ena : Math.floor((100 * l.run) / l.ena);
  if (cfg.layout === 'json') return `"event-runtime" : ${l.run}, "pcnt-running" : ${fixed(pct, 2, cfg.locale)}, `;
  if (cfg.layout === 'csv') return `${cfg.sep}${l.run}${cfg.sep}${fixed(pct, 2, cfg.locale)}`;
  return l.run !== l.ena ? `  (${fixed(pct, 2, cfg.locale)}%)` : '';
}

const jsonStr = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** One counter line, without its newline; `prefix` is the interval timestamp. */
export function formatLine(cfg: PrintConfig, p: PrintedLine, prefix: string): string {
  const l = p.line;
  const s = cfg.sep;
  const head = prefix + (cfg.layout === 'json' && !prefix ? '{' : '') + aggrText(cfg, l.aggr);
  if (l.status !== 'counted') {
    const what = l.status === 'not-counted' ? '<not counted>' : '<not supported>';
    if (cfg.layout === 'json') {
      return `${head}"counter-value" : "${what}", "unit" : "${jsonStr(l.unit)}", "event" : "${jsonStr(l.name)}", ${noiseText(cfg, p)}${runningText(cfg, l)}"metric-value" : ${fixed(0, 6, cfg.locale)}, "metric-unit" : ""}`;
    }
    if (cfg.layout === 'csv') return `${head}${what}${s}${l.unit}${s}${l.name}${noiseText(cfg, p)}${runningText(cfg, l)}${s}${s}`;
    return `${head}${right(what, 18)}${s}${left(l.unit, cfg.unitWidth)}${s}${left(l.name, 25)}${stdMetric(cfg, undefined)}${noiseText(cfg, p)}${runningText(cfg, l)}`;
  }
  const decimals = Math.floor(l.scale) !== l.scale ? 2 : 0;
  if (cfg.layout === 'json') {
    const m = p.metric;
    const metric = `"metric-value" : ${fixed(m?.value ?? 0, 6, cfg.locale)}, "metric-unit" : "${m ? jsonStr(m.unit) : '(null)'}"}`;
    return `${head}"counter-value" : "${fixed(l.value, 6, cfg.locale)}", "unit" : "${jsonStr(l.unit)}", "event" : "${jsonStr(l.name)}", ${noiseText(cfg, p)}${runningText(cfg, l)}${metric}`;
  }
  if (cfg.layout === 'csv') {
    const metric = p.metric ? `${s}${metricNumber(cfg, p.metric).trim()}${s}${p.metric.unit}` : `${s}${s}`;
    return `${head}${fixed(l.value, decimals, cfg.locale)}${s}${l.unit}${s}${l.name}${noiseText(cfg, p)}${runningText(cfg, l)}${metric}`;
  }
  const value = right(fixed(l.value, decimals, cfg.locale, cfg.bigNum !== false), 18);
  return `${head}${value}${s}${left(l.unit, cfg.unitWidth)}${s}${left(l.name, 32)}${stdMetric(cfg, p.metric)}${noiseText(cfg, p)}${runningText(cfg, l)}`;
}

/** The timestamp that starts each interval line. */
export function intervalPrefix(cfg: PrintConfig, ns: number): string {
  const sec = Math.floor(ns / 1e9);
  const frac = String(Math.round(ns - sec * 1e9)).padStart(9, '0');
  if (cfg.layout === 'json') return `{"interval" : ${sec}.${frac}, `;
  return `${right(String(sec), 6)}.${frac}${cfg.sep}`;
}

/** The column header perf prints before the first interval and every 25th after it (std layout only). */
export function intervalHeader(cfg: PrintConfig): string {
  const unit = right('unit', cfg.unitWidth);
  const cols: Record<AggrMode, string> = {
    global: '#           time             counts',
    socket: '#           time socket cpus             counts',
    node: '#           time node   cpus             counts',
    core: '#           time core            cpus             counts',
    none: '#           time CPU                    counts',
  };
  return `${cols[cfg.mode]} ${unit} events`;
}

/** "\n Performance counter stats for 'TARGET' (N runs):\n\n" */
export function header(target: string, repeat: number): string {
  return `\n Performance counter stats for '${target}'${repeat > 1 ? ` (${repeat} runs)` : ''}:\n\n`;
}

export interface Footer {
  readonly wallNs: readonly number[];
  /** The command's CPU times, shown for a single run of a per-task command. */
  readonly userNs?: number;
  readonly sysNs?: number;
}

export function footer(cfg: PrintConfig, f: Footer): string {
  // perf keeps the runs' wall times in integer ns and divides the results by 10^9: in seconds, 0.1 three times
  // left a deviation of 1e-17, and 20 decimals.
  const { mean, sd: sdNs } = noiseOf(f.wallNs);
  const avg = mean / 1e9;
  const sd = sdNs / 1e9;
  let out = '\n';
  if (f.wallNs.length === 1) {
    out += ` ${right(fixed(avg, 9, cfg.locale), 17)} seconds time elapsed`;
    if (f.userNs !== undefined && f.sysNs !== undefined) {
      out += `\n\n ${right(fixed(f.userNs / 1e9, 9, cfg.locale), 17)} seconds user\n ${right(fixed(f.sysNs / 1e9, 9, cfg.locale), 17)} seconds sys\n`;
    }
  } else {
    // At most two more significant digits than the error of the mean. perf's
    // lround(inf) for a zero deviation truncates to 0 on x86-64, so 2 digits.
    const precision = (sd > 1 || sd === 0 ? 0 : Math.round(Math.ceil(-Math.log10(sd)))) + 2;
    out += ` ${right(fixed(avg, precision, cfg.locale), 17)} +- ${fixed(sd, precision, cfg.locale)} seconds time elapsed`;
    const pct = avg ? (100 * sd) / avg : 0;
    if (pct) out += `  ( +-${right(fixed(pct, 2, cfg.locale), 6)}% )`;
  }
  return `${out}\n\n`;
}
