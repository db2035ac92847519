/**
 * Which CPU the emulated code runs on right now: the perf core sets it while
 * it works on a CPU's context, tracing records it.
 */
export class Smp {
  current = 0;

  /** Run `fn` as if on `cpu`, restoring the previous CPU afterwards. */
  on<T>(cpu: number, fn: () => T): T {
    const prev = this.current;
    this.current = cpu;
    try {
      return fn();
    } finally {
      this.current = prev;
    }
  }
}
