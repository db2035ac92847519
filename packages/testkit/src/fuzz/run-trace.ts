// A fuzz run's trace, kept as what happened (steps, scheduling decisions, lifecycle records) and written as text only when read.
import type { LifecycleRecord } from '@cspmu/kernel';
import type { Step } from './commands.js';

/**
 * The trace of one run. A fuzz job reads only the traces of failing runs,
 * and those come from a replay, so a run keeps the objects it already has
 * (the step, the lifecycle record) and two numbers per scheduling decision;
 * the text (a JSON payload per record, a line per decision) is made when
 * `lines()` is called, again only if entries came since, and is what
 * building it as the run went would have given.
 */
export class RunTrace {
  /** In order: a fixed line, a step, a lifecycle record, or a decision as two numbers (task id, tasks waiting). */
  private readonly entries: unknown[] = [];
  private text: string[] | undefined;
  /** How many entries `text` was written from: an entry added since makes it stale. */
  private textEntries = 0;

  constructor(
    private readonly schedulerSeed: number,
    private readonly latencyNs: number,
  ) {}

  step(step: Step): void {
    this.entries.push(step);
  }

  /** A fixed line ("drain", "close all"). */
  note(line: string): void {
    this.entries.push(line);
  }

  /** The scheduler released task `task` of `waiting` waiting tasks. */
  decision(task: number, waiting: number): void {
    this.entries.push(task, waiting);
  }

  /** Lifecycle records as they were recorded (their payloads are plain values, made fresh by each fire). */
  lifecycle(records: readonly LifecycleRecord[]): void {
    for (let i = 0; i < records.length; i++) this.entries.push(records[i]);
  }

  /** The trace as text, one line per entry. */
  lines(): readonly string[] {
    if (this.text && this.textEntries === this.entries.length) return this.text;
    const out = [`scheduler seed ${this.schedulerSeed}, latency ${this.latencyNs} ns`];
    const e = this.entries;
    for (let i = 0; i < e.length; i++) {
      const x = e[i];
      if (typeof x === 'number') out.push(`  run task ${x} of ${e[++i] as number} waiting`);
      else if (typeof x === 'string') out.push(x);
      else if (typeof (x as Partial<Step>).run === 'function') out.push(`step ${String(x)}`);
      else {
        const r = x as LifecycleRecord;
        out.push(`  @${r.timeNs} ${r.name} ${JSON.stringify(r.payload)}`);
      }
    }
    this.text = out;
    this.textEntries = e.length;
    return out;
  }
}
