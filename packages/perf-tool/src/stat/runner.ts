// The stat runner: open the list, count over virtual time or a command's wall time, read per interval and at the end, close; -r repeats.
import { type Kernel, kerr, type ManualClock } from '@cspmu/kernel';
import type { PerfCore } from '@cspmu/perf';
import type { ParsedEvent } from '../grammar/grammar.js';
import { settleGroups } from '../groups.js';
import { type Counter, closeEventList, cpusFor, type OpenTarget, openEventList } from '../open.js';
import { grammarOf } from '../sysfs-reader.js';
import { type ExecError, runCommand } from './command.js';

/** strsignal() of the signals a measured command is commonly ended by. */
const SIGNAL_TEXT: Readonly<Record<number, string>> = {
  1: 'Hangup',
  2: 'Interrupt',
  3: 'Quit',
  6: 'Aborted',
  9: 'Killed',
  11: 'Segmentation fault',
  13: 'Broken pipe',
  14: 'Alarm clock',
  15: 'Terminated',
};

/** What a stat needs of a machine (a `Machine` is one). */
export interface StatMachine {
  readonly perf: PerfCore;
  readonly kernel: Kernel;
  readonly clock: ManualClock;
  /** Scale and unit of a named event, where the machine knows more than sysfs (perf's own event tables). */
  eventScaleUnit?(pmu: string, event: string): { scale: number; unit: string } | undefined;
}

export interface StatRequest {
  /** One entry per -e (each may be a comma list with groups). */
  readonly events: readonly string[];
  readonly target: Omit<OpenTarget, 'pid' | 'strict'>;
  /** Count for this much virtual time. */
  readonly durationNs?: number;
  /** Run this command; its wall time is the counted span. */
  readonly command?: readonly string[];
  /** Count for this much wall time (without a command), or stop the command after it. */
  readonly timeoutMs?: number;
  readonly intervalNs?: number;
  /** --interval-count: print this many intervals; waiting for a signal or a --timeout then ends (a command or a --duration runs on, unprinted). */
  readonly intervalCount?: number;
  /** -r: run this many times. */
  readonly repeat?: number;
  readonly onProgress?: (fraction: number) => void;
  readonly onInterval?: (snapshot: StatSnapshot) => void;
  /** perf's warnings before counting starts (groups broken up because their CPUs differ). */
  readonly onWarning?: (text: string) => void;
}

/** One CPU's reading: count, time enabled, time running. */
export interface CpuCount {
  readonly val: number;
  readonly ena: number;
  readonly run: number;
}

export interface CounterCounts {
  readonly counter: Counter;
  /** Aligned with counter.cpus; undefined where no event was open. */
  readonly perCpu: readonly (CpuCount | undefined)[];
}

export interface StatSnapshot {
  readonly counts: readonly CounterCounts[];
  /** Time since the start, at this reading. */
  readonly timestampNs: number;
  /** The span the metrics divide by: the whole run, or the -I interval (a partial last interval too, as perf does). */
  readonly spanNs: number;
}

export interface StatRun {
  readonly final: StatSnapshot;
  readonly wallNs: number;
  readonly commandStatus?: number;
  readonly userNs?: number;
  readonly sysNs?: number;
  /** The command could not start: perf prints "Workload failed" for this run and no counts. */
  readonly execError?: ExecError;
}

export interface StatResult {
  readonly runs: readonly StatRun[];
  readonly parsed: readonly ParsedEvent[];
}

/** Parse every -e value into one list; groups stay distinct across -e values. */
export function parseEventList(perf: PerfCore, events: readonly string[]): ParsedEvent[] {
  if (events.length === 0) throw kerr('EINVAL', 'no events given; use -e EVENT (see cspmu list)');
  const grammar = grammarOf(perf);
  const out: ParsedEvent[] = [];
  let groupBase = 0;
  for (const text of events) {
    const evs = grammar.parse(text);
    for (const e of evs) out.push(e.group === undefined ? e : { ...e, group: groupBase + e.group });
    groupBase += 1 + Math.max(-1, ...evs.map((e) => e.group ?? -1));
  }
  return out;
}

class Reader {
  private readonly last = new Map<object, CpuCount>();
  constructor(private readonly perf: PerfCore) {}

  read(counters: readonly Counter[], delta: boolean): CounterCounts[] {
    return counters.map((counter) => ({
      counter,
      perCpu: counter.cpus.map((_, i) => {
        const ev = counter.events[i];
        if (!ev) return undefined;
        const r = this.perf.read(ev);
        const now = { val: r.notCounted ? 0 : r.value, ena: r.timeEnabled, run: r.notCounted ? 0 : r.timeRunning };
        const prev = delta ? this.last.get(ev) : undefined;
        this.last.set(ev, now);
        return prev ? { val: now.val - prev.val, ena: now.ena - prev.ena, run: now.run - prev.run } : now;
      }),
    }));
  }
}

/** Count until SIGINT or SIGTERM, or until `stopWith`'s stop is called (the last of --interval-count's intervals). */
function waitForSignal(onTick: () => void, stopWith: (stop: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const tick = setInterval(onTick, 10);
    const stop = () => {
      clearInterval(tick);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    stopWith(stop);
  });
}

async function runOnce(m: StatMachine, req: StatRequest, parsed: readonly ParsedEvent[]): Promise<StatRun> {
  const counters = openEventList(
    m.perf,
    m.kernel,
    parsed,
    { ...req.target, pid: process.pid },
    m.eventScaleUnit ? (pmu, ev) => m.eventScaleUnit!(pmu, ev) : undefined,
  );
  const reader = new Reader(m.perf);
  const clock = m.clock;
  const start = clock.now();
  let lastInterval = start;
  const interval = req.intervalNs;
  let intervalsLeft = interval === undefined ? Number.POSITIVE_INFINITY : (req.intervalCount ?? Number.POSITIVE_INFINITY);
  let onIntervalsDone: (() => void) | undefined;
  const emit = (t: number) => {
    req.onInterval?.({ counts: reader.read(counters, true), timestampNs: t - start, spanNs: interval! });
    lastInterval = t;
    if (--intervalsLeft === 0) onIntervalsDone?.();
  };
  const advanceTo = (t: number) => {
    while (interval !== undefined && intervalsLeft > 0 && lastInterval + interval <= t) {
      clock.advanceTo(lastInterval + interval);
      emit(lastInterval + interval);
    }
    clock.advanceTo(t);
  };
  const wall0 = process.hrtime.bigint();
  const followWall = () => advanceTo(start + Number(process.hrtime.bigint() - wall0));
  let extra: Partial<StatRun> = {};
  try {
    if (req.command?.length) {
      const r = await runCommand(req.command, followWall, req.timeoutMs);
      followWall();
      if (r.execError) {
        extra = { execError: r.execError };
      } else {
        // A command ended by a signal (its --timeout, a closed pipe) is reported as psignal does ("sleep: Terminated") and the stat succeeds, as perf's.
        const signal = SIGNAL_TEXT[r.status - 128];
        if (signal) process.stderr.write(`${req.command[0]}: ${signal}\n`);
        extra = { commandStatus: signal ? 0 : r.status, userNs: r.userNs, sysNs: r.sysNs };
      }
    } else if (req.durationNs !== undefined) {
      for (let i = 1; i <= 100; i++) {
        advanceTo(start + Math.round((req.durationNs * i) / 100));
        req.onProgress?.(i / 100);
      }
    } else if (req.timeoutMs !== undefined) {
      await new Promise<void>((resolve) => {
        const tick = setInterval(followWall, 10);
        const timer = setTimeout(() => {
          onIntervalsDone = undefined;
          clearInterval(tick);
          resolve();
        }, req.timeoutMs);
        onIntervalsDone = () => {
          clearTimeout(timer);
          clearInterval(tick);
          resolve();
        };
      });
      followWall();
    } else {
      await waitForSignal(followWall, (stop) => (onIntervalsDone = stop));
      followWall();
    }
    const end = clock.now();
    // perf prints the last, partial interval too (unless --interval-count has printed them all).
    if (interval !== undefined && intervalsLeft > 0 && end > lastInterval && !extra.execError) emit(end);
    const final = { counts: reader.read(counters, false), timestampNs: end - start, spanNs: end - start };
    // Virtual time for --duration; the wall time otherwise (the clock followed it).
    const wallNs = req.durationNs !== undefined ? end - start : Number(process.hrtime.bigint() - wall0);
    return { final, wallNs, ...extra };
  } finally {
    await closeEventList(m.perf, counters);
  }
}

/** Run a stat: parse, then open, count, read and close once per repeat. */
export async function runStat(m: StatMachine, req: StatRequest): Promise<StatResult> {
  const settled = settleGroups(parseEventList(m.perf, req.events), (p) => cpusFor(m.perf, m.kernel, p, req.target));
  if (settled.warning) req.onWarning?.(settled.warning);
  const parsed = settled.list;
  const repeat = req.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1) throw kerr('EINVAL', `-r ${repeat}: the repeat count must be a positive integer`);
  if (req.durationNs && req.command?.length) throw kerr('EINVAL', 'give either --duration or a command, not both');
  const runs: StatRun[] = [];
  for (let i = 0; i < repeat; i++) {
    const run = await runOnce(m, req, parsed);
    runs.push(run);
    if (run.commandStatus !== undefined && run.commandStatus !== 0) break;
  }
  return { runs, parsed };
}
