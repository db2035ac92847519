// Which CPU the emulated code runs on now, and running code as if on another of the machine's CPUs.
import { describeValue, kerr } from '../base/errors.js';

/**
 * Which CPU the emulated code runs on right now: the perf core sets it while
 * it works on a CPU's context, tracing records it.
 */
export class Smp {
  /**
   * The CPU now: always one of the machine's (0 to count - 1), since every
   * trace record is stamped with it. Code that sets it directly (the perf
   * core's hot paths) sets only a CPU it has checked, and leaves it as it is
   * for a task event (CPU -1), which runs on whichever CPU its task is on.
   */
  current = 0;

  constructor(
    /** How many CPUs the machine has. */
    readonly count = 1,
  ) {}

  /** Run `fn` as if on `cpu` (one of the machine's), restoring the previous CPU afterwards. */
  on<T>(cpu: number, fn: () => T): T {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.count) {
      throw kerr('EINVAL', `smp: cannot run on cpu ${describeValue(cpu)}: the machine's CPUs are 0-${this.count - 1}`);
    }
    const prev = this.current;
    this.current = cpu;
    try {
      return fn();
    } finally {
      this.current = prev;
    }
  }
}
