// Where a fuzz process's CPU time went (its main thread against V8's helper threads) and how often it collected garbage, for --cpu-report.
import { readdirSync, readFileSync } from 'node:fs';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';

/** One process's share of a fuzz run. */
export interface ProcessCpu {
  /** CPU seconds of the thread that runs JavaScript (and, with --single-threaded-gc, all of the GC). */
  readonly mainS: number;
  /** CPU seconds of every other thread: V8's optimising compiler and parallel or concurrent GC, libuv's pool. */
  readonly helpersS: number;
  readonly scavenges: number;
  readonly markCompacts: number;
}

/** Linux reports thread times in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds of this process's threads so far, split main/helpers; undefined where /proc/self/task is missing. */
export function threadCpuSeconds(): { mainS: number; helpersS: number } | undefined {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  let mainS = 0;
  let helpersS = 0;
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    // Fields after the command name (which may hold spaces, so cut at its closing parenthesis): utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    if (Number(tid) === process.pid) mainS += seconds;
    else helpersS += seconds;
  }
  return { mainS, helpersS };
}

/** Counts this process's garbage collections from when it is made until `stop`. */
export class GcCounter {
  private scavenges = 0;
  private markCompacts = 0;
  private readonly observer = new PerformanceObserver((list) => this.count(list.getEntries()));

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /**
   * Stop counting; this process's figures, or undefined without per-thread
   * times. Node delivers a collection's entry on a later turn of the event
   * loop, so one made in the current turn is not counted.
   */
  stop(): ProcessCpu | undefined {
    this.observer.disconnect();
    const cpu = threadCpuSeconds();
    return cpu && { ...cpu, scavenges: this.scavenges, markCompacts: this.markCompacts };
  }

  private count(entries: readonly PerformanceEntry[]): void {
    for (const entry of entries) {
      const kind = (entry as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) this.scavenges++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.markCompacts++;
    }
  }
}

/**
 * The report's lines: the workers' threads (or this process's, with one job),
 * the parent's, and garbage collections per run. With one job V8's helper
 * threads run on an otherwise idle core; with a job on every core they take
 * time from the fuzzing threads, so their seconds are what the speed-up of
 * more jobs loses.
 */
export function formatCpuReport(runs: number, parent: ProcessCpu | undefined, workers: readonly (ProcessCpu | undefined)[]): string {
  const s = (x: number) => `${x.toFixed(2)} s`;
  const all = workers.length === 0 ? [parent] : workers;
  if (all.some((c) => c === undefined) || parent === undefined) return 'cpu: per-thread times are read from /proc/self/task, which this system does not have';
  const known = all as ProcessCpu[];
  const sum = (f: (c: ProcessCpu) => number) => known.reduce((a, c) => a + f(c), 0);
  const scavenges = sum((c) => c.scavenges);
  const markCompacts = sum((c) => c.markCompacts);
  const who = workers.length === 0 ? '1 process' : `${workers.length} ${workers.length === 1 ? 'worker' : 'workers'}`;
  const parentPart = workers.length === 0 ? '' : `, parent ${s(parent.mainS + parent.helpersS)}`;
  const perRun = (n: number) => (runs === 0 ? '0' : (n / runs).toFixed(4));
  return [
    `cpu: ${who}: main ${workers.length === 0 ? 'thread' : 'threads'} ${s(sum((c) => c.mainS))}, V8 helper threads ${s(sum((c) => c.helpersS))}${parentPart}`,
    `gc: ${scavenges} scavenges, ${markCompacts} mark-compacts (${perRun(scavenges)} and ${perRun(markCompacts)} a run)`,
  ].join('\n');
}
