/**
 * A count of the units of work a machine has done (timers fired, overflow
 * batches, rotation batches, glob comparisons, file chunks read). Tests bound
 * work with it instead of wall time, so a budget holds on any host.
 */
export class WorkCounter {
  steps = 0;

  add(n: number): void {
    this.steps += n;
  }

  /** Steps done since `mark` (a value of `steps` taken earlier). */
  since(mark: number): number {
    return this.steps - mark;
  }
}
