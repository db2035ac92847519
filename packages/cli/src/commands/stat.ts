// cspmu stat: perf stat on the emulated machine, printed as perf prints it.

import { kerr, parseCpuList } from '@cspmu/kernel';
import { PERF_TYPE } from '@cspmu/perf';
import {
  type AggregateOptions,
  type AggrMode,
  type CpuTopology,
  grammarOf,
  groupKey,
  type ParsedEvent,
  pmuCpumask,
  runStat,
  type StatRequest,
  workloadFailedText,
} from '@cspmu/perf-tool';
import type { Machine } from '@cspmu/system';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { bootMachine, type MachineFlags } from '../boot.js';
import { numericLocale } from '../stat/locale.js';
import { averagedLines, IntervalPrinter, printedLines, reportSink } from '../stat/output.js';
import { footer, formatLine, header, type Layout, type PrintConfig } from '../stat/print.js';
import { parseDuration } from '../util.js';
import { withMachineFlags } from './machine-flags.js';
import { type StatFlags, withStatOptions } from './stat-options.js';

/** Hooks for commands that wrap a stat (tracing). */
export interface StatHooks {
  /** Before the drivers probe (tracers that must see the probes). */
  beforeDrivers?(m: Machine): void;
  afterBoot?(m: Machine): void;
  afterRun?(m: Machine): void;
}

function positiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) throw kerr('EINVAL', `${what} '${text}' must be a positive whole number`);
  return Number(text);
}

/**
 * An unsigned option (-I, --interval-count) read as perf 6.1 reads it: a
 * leading '-' is refused; otherwise strtol in base 10 (leading blanks and a
 * sign skipped, nothing after the digits, an empty value is 0), clamped to a
 * long and cut to an unsigned int, so 00 is 0 and 4294967297 is 1.
 */
function perfUnsigned(text: string | undefined, what: string, unit: string): number | undefined {
  if (text === undefined) return undefined;
  if (text.startsWith('-')) throw kerr('EINVAL', `${what} '${text}' expects an unsigned numerical value: ${unit}`);
  if (text === '') return 0;
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  if (!m) throw kerr('EINVAL', `${what} '${text}' expects a numerical value: ${unit}`);
  const LONG_MAX = 2n ** 63n - 1n;
  let v = BigInt(m[2]!);
  if (v > LONG_MAX) v = m[1] === '-' ? LONG_MAX + 1n : LONG_MAX;
  return Number(BigInt.asUintN(32, m[1] === '-' ? -v : v));
}

function aggrMode(o: StatFlags): AggrMode {
  const chosen = [o.aggr === false && 'none', o.perSocket && 'socket', o.perNode && 'node', o.perCore && 'core'].filter(Boolean) as AggrMode[];
  if (chosen.length > 1) throw kerr('EINVAL', 'choose one of -A/--no-aggr, --per-socket, --per-node and --per-core');
  return chosen[0] ?? 'global';
}

/**
 * Whether perf's hint belongs under a <not counted> event: it is in a group of
 * two or more (perf asks the leader, and a group counts together, so any
 * member answers the same) and the event list holds events of two PMU types
 * (software events, which may join any group, aside); not under an event
 * alone, such as a pinned one that found no counter.
 */
function inMixedGroup(p: ParsedEvent, list: readonly ParsedEvent[]): boolean {
  const members = list.filter((q) => q.group !== undefined && groupKey(q) === groupKey(p));
  if (members.length < 2) return false;
  const types = new Set(list.filter((q) => q.attr.type !== PERF_TYPE.SOFTWARE).map((q) => q.attr.type));
  return types.size > 1;
}

/** Socket, node and core of each CPU as `cspmu exec` shows them in /sys/devices/system/cpu (a core's id counts from its socket's first CPU). */
function cpuTopology(m: Machine): CpuTopology {
  const cpus = m.kernel.cpus;
  const firstOfSocket = new Map<number, number>();
  for (const c of cpus.possible()) if (!firstOfSocket.has(cpus.containerUidOf(c))) firstOfSocket.set(cpus.containerUidOf(c), c);
  return {
    nodeOf: (c) => cpus.nodeOf(c),
    socketOf: (c) => cpus.containerUidOf(c),
    coreOf: (c) => c - firstOfSocket.get(cpus.containerUidOf(c))!,
  };
}

/** Whether every event of the -e strings is on a PMU with a cpumask file (an uncore PMU). */
function onlyUncore(m: Machine, events: readonly string[]): boolean {
  const grammar = grammarOf(m.perf);
  return events.every((e) => grammar.parse(e).every((p) => pmuCpumask(m.perf, p.pmu) !== undefined));
}

export async function statAction(o: StatFlags & MachineFlags, command: string[], hooks: StatHooks = {}): Promise<void> {
  const events = o.event ?? [];
  if (events.length === 0) throw kerr('EINVAL', 'no events given; use -e EVENT (see cspmu list)');
  const cpus = o.cpu === undefined ? undefined : parseCpuList(o.cpu);
  if (cpus !== undefined && cpus.length === 0) throw kerr('EINVAL', `-C '${o.cpu}': no CPUs given; use a cpulist such as 0,72 or 0-3`);
  const durationNs = o.duration === undefined ? undefined : parseDuration(o.duration, '--duration');
  if (durationNs !== undefined && command.length > 0) throw kerr('EINVAL', 'give either --duration or a command, not both');
  const intervalText = o.intervalPrint ?? (o as { interval?: string }).interval;
  // As perf 6.1: -I 0 (or 00, or an empty value) is no interval printing, and any interval of 1 ms or more is taken.
  const intervalMs = perfUnsigned(intervalText, '-I', 'whole milliseconds, 0 for none') || undefined;
  const repeat = positiveInt(o.repeat, '-r') ?? 1;
  const timeoutMs = positiveInt(o.timeout, '--timeout');
  if (timeoutMs !== undefined && durationNs !== undefined) throw kerr('EINVAL', '--timeout waits in wall time and --duration jumps virtual time: give one');
  // --interval-count 0 is perf's "no limit".
  const intervalCount = perfUnsigned(o.intervalCount, '--interval-count', 'how many intervals to print, 0 for no limit') || undefined;
  if (intervalCount !== undefined && intervalMs === undefined) throw kerr('EINVAL', '--interval-count N prints N intervals: give -I MS with it');
  const json = o.jsonOutput === true || (o as { json?: boolean }).json === true;
  if (json && o.fieldSeparator !== undefined) throw kerr('EINVAL', '-x and -j are different output formats: give one');
  // perf lets the spreadsheet group CSV digits: -B with -x is refused, and -x alone turns grouping off.
  if (o.bigNum === true && o.fieldSeparator !== undefined) throw kerr('EINVAL', '-B option not supported with -x: CSV counts are never grouped');
  // As perf, the two characters \t name a tab (a shell passes them through quotes unchanged).
  const sep = o.fieldSeparator === '\\t' ? '\t' : o.fieldSeparator;
  const layout: Layout = json ? 'json' : o.fieldSeparator !== undefined ? 'csv' : 'std';
  const mode = aggrMode(o);
  const m = await bootMachine(o, hooks.beforeDrivers ? { beforeDrivers: hooks.beforeDrivers } : {});
  // Without -a or -C, a command is counted per task, unless every event is on a PMU with a cpumask (uncore):
  // perf 6.1 then counts system-wide on those CPUs while the command runs.
  const systemWide = o.allCpus === true || (cpus === undefined && (command.length === 0 || onlyUncore(m, events)));
  // As perf: counts per CPU, socket, node or core need CPUs to count on, which a command alone does not give.
  if (mode !== 'global' && !systemWide && cpus === undefined)
    throw kerr('EINVAL', '-A, --per-socket, --per-node and --per-core are only available in system-wide mode: add -a, or -C CPUS');
  for (const c of cpus ?? []) if (!m.kernel.cpus.isPossible(c)) throw kerr('EINVAL', `-C ${o.cpu}: cpu ${c} does not exist (0-${m.kernel.cpus.count - 1})`);
  hooks.afterBoot?.(m);
  const agg: AggregateOptions = { mode, noMerge: o.merge === false, topology: cpuTopology(m), cpus: cpus ?? m.kernel.cpus.online() };
  const write = reportSink(o.output);
  let cfg: PrintConfig | undefined;
  let intervals: IntervalPrinter | undefined;
  let bar: cliProgress.SingleBar | undefined;
  if (process.stderr.isTTY && o.output === undefined && durationNs !== undefined && durationNs >= 10e9 && layout === 'std' && intervalMs === undefined) {
    bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'counting {bar} {percentage}% of virtual time', clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(100, 0);
  }
  const req: StatRequest = {
    events,
    target: cpus ? { cpus, systemWide } : { systemWide },
    ...(durationNs !== undefined ? { durationNs } : {}),
    ...(command.length ? { command } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(intervalMs !== undefined ? { intervalNs: intervalMs * 1e6 } : {}),
    ...(intervalCount !== undefined ? { intervalCount } : {}),
    repeat,
    onProgress: (f) => bar?.update(Math.round(f * 100)),
    // perf's warnings go to stderr, also with -o FILE.
    onWarning: (text) => void process.stderr.write(text),
    onInterval: (snap) => {
      cfg ??= printConfig(snap.counts.map((c) => c.counter.unit));
      intervals ??= new IntervalPrinter(cfg, agg, write);
      intervals.print(snap);
    },
  };
  const printConfig = (units: string[]): PrintConfig => ({
    layout,
    sep: layout === 'csv' ? sep! : ' ',
    mode,
    unitWidth: Math.max(4, ...units.map((u) => u.length)),
    repeat,
    locale: numericLocale(),
    bigNum: o.bigNum !== false,
  });
  const res = await runStat(m, req);
  bar?.stop();
  // As perf 6.1: a command that could not start prints its reason once a run, on stderr, no counts, and exit status 255.
  const failed = res.runs.filter((r) => r.execError !== undefined);
  if (failed.length > 0) {
    for (const r of failed) process.stderr.write(`${workloadFailedText(r.execError!)}\n`);
    hooks.afterRun?.(m);
    process.exitCode = 255;
    return;
  }
  const last = res.runs[res.runs.length - 1]!;
  cfg ??= printConfig(last.final.counts.map((c) => c.counter.unit));
  // As perf -v: a warning (not an error: the run succeeds) for each counter that could not be opened.
  if (o.verbose) {
    for (const c of last.final.counts) {
      if (!c.counter.supported)
        write(`Warning:\n${c.counter.parsed.display} event is not supported by the kernel: ${(c.counter.error ?? 'not supported').split('\n')[0]}\n`);
    }
  }
  if (intervalMs === undefined) {
    const runs = res.runs.map((r) => printedLines(r.final, agg));
    const lines = repeat > 1 ? averagedLines(runs) : runs[0]!;
    const target = systemWide ? 'system wide' : cpus ? `CPU(s) ${o.cpu}` : command.join(' ');
    let out = layout === 'std' ? header(target, repeat) : '';
    for (const p of lines) out += `${formatLine(cfg, p, '')}\n`;
    if (layout === 'std') {
      const perTask = command.length > 0 && !systemWide && !cpus && res.runs.length === 1;
      out += footer(cfg, { wallNs: res.runs.map((r) => r.wallNs), ...(perTask ? { userNs: last.userNs ?? 0, sysNs: last.sysNs ?? 0 } : {}) });
      if (lines.some((p) => p.line.status === 'not-counted' && inMixedGroup(p.line.counter.parsed, res.parsed)))
        out += 'The events in group usually have to be from the same PMU. Try reorganizing the group.\n';
    }
    write(out);
  }
  hooks.afterRun?.(m);
  if (last.commandStatus !== undefined && last.commandStatus !== 0) process.exitCode = last.commandStatus;
}

/** The stat command; `name` and `hooks` let trace run the same command with tracers around it. */
export function statCommand(hooks: StatHooks = {}, name = 'stat'): Command {
  const cmd = new Command(name).description('count events like perf stat: for a command, for --timeout MS of wall time, or for a --duration of virtual time');
  withStatOptions(cmd).passThroughOptions();
  withMachineFlags(cmd);
  return cmd.action((command: string[], _o: StatFlags, self: Command) => statAction(self.optsWithGlobals<StatFlags & MachineFlags>(), command, hooks));
}

export function registerStat(program: Command): void {
  program.addCommand(statCommand());
}
