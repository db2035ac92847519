// Which rare lifecycle paths a fuzz run reached, and the figures over many runs.
import type { PerfEvent } from '@cspmu/perf';
import type { Machine } from '@cspmu/system';

/** The paths a run must reach often enough for the fuzzer to be worth its time. */
export const COVERAGE_GOALS = {
  /** Multiplexing: a context rotated its flexible groups. */
  rotated: 0.3,
  /** A 32-bit counter overflowed and the IRQ handler folded it. */
  overflowed32: 0.2,
  /** A CPU went offline under a PMU with events, and perf migrated them. */
  migrated: 0.1,
  /** A 64-bit counter read tore and hi-lo-hi retried. */
  toreAndRetried: 0.1,
  /** A backend registered for a device that had live events (the swap waits for them). */
  hotSwapped: 0.1,
  /** The scheduler chose among two or more waiting tasks (operations raced). */
  raced: 0.2,
} as const;

export type CoverageName = keyof typeof COVERAGE_GOALS;
export type RunCoverage = Record<CoverageName, boolean>;
export const COVERAGE_NAMES = Object.keys(COVERAGE_GOALS) as CoverageName[];

/** Watches one machine for the paths above. */
export class CoverageProbe {
  readonly reached: RunCoverage = { rotated: false, overflowed32: false, migrated: false, toreAndRetried: false, hotSwapped: false, raced: false };
  private readonly narrowIrqs: number[];
  /** The PMUs registered, kept until one comes or goes: sample asks at every step until a rotation is seen. */
  private registered: Set<unknown> | undefined;

  constructor(private readonly m: Machine) {
    this.narrowIrqs = m.platform.pmus.filter((p) => p.counterBits <= 32 && p.irq).map((p) => p.irq!.gsi);
    m.kernel.lifecycle.on('pmu:migrated', (e) => {
      if (e.events > 0) this.reached.migrated = true;
    });
    m.kernel.lifecycle.on('cspmu:reprobe-pending', (e) => {
      if (e.events > 0) this.reached.hotSwapped = true;
    });
    const forget = () => {
      this.registered = undefined;
    };
    m.kernel.lifecycle.on('pmu:registered', forget);
    m.kernel.lifecycle.on('pmu:unregistered', forget);
  }

  /** Look at counters that only grow (rotations, IRQs handled, hi-lo-hi retries). */
  sample(events: readonly PerfEvent[]): void {
    const r = this.reached;
    if (!r.rotated && events.length > 0) {
      const registered = (this.registered ??= new Set(this.m.perf.pmus().map((p) => p.pmu)));
      for (const e of events) if (registered.has(e.pmu) && this.m.perf.context(e.pmu, e.cpu).rotations > 0) r.rotated = true;
    }
    if (!r.overflowed32) for (let i = 0; i < this.narrowIrqs.length; i++) if (this.m.kernel.irqs.stats(this.narrowIrqs[i]!).handled > 0) r.overflowed32 = true;
    if (!r.toreAndRetried) r.toreAndRetried = this.m.mmio.hiLoHiRetries > 0;
  }
}

/** Coverage over many runs: how many runs reached each path. */
export class CoverageFigures {
  runs = 0;
  readonly counts: Record<CoverageName, number> = { rotated: 0, overflowed32: 0, migrated: 0, toreAndRetried: 0, hotSwapped: 0, raced: 0 };

  add(run: RunCoverage): void {
    this.runs++;
    for (const n of COVERAGE_NAMES) if (run[n]) this.counts[n]++;
  }

  merge(other: { runs: number; counts: Record<CoverageName, number> }): void {
    this.runs += other.runs;
    for (const n of COVERAGE_NAMES) this.counts[n] += other.counts[n];
  }

  share(n: CoverageName): number {
    return this.runs === 0 ? 0 : this.counts[n] / this.runs;
  }

  /** The goals missed, as text; empty when every goal is met. */
  missed(): string[] {
    return COVERAGE_NAMES.filter((n) => this.share(n) < COVERAGE_GOALS[n]).map(
      (n) => `${n}: ${(100 * this.share(n)).toFixed(1)}% of runs, goal ${100 * COVERAGE_GOALS[n]}%`,
    );
  }

  /** One line per path: runs that reached it, share and goal. */
  format(): string {
    const lines = [`coverage over ${this.runs} runs:`];
    for (const n of COVERAGE_NAMES) {
      const pct = (100 * this.share(n)).toFixed(1);
      const ok = this.share(n) >= COVERAGE_GOALS[n] ? 'ok' : 'BELOW GOAL';
      lines.push(`  ${n.padEnd(15)} ${String(this.counts[n]).padStart(7)} runs  ${pct.padStart(5)}%  (goal ${100 * COVERAGE_GOALS[n]}%, ${ok})`);
    }
    return lines.join('\n');
  }
}
