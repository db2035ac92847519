// refcount_t: a reference count that reports underflow and increment-from-zero and saturates instead of wrapping.
import { type KernelError, kerr } from '../base/errors.js';

/** Where refcount misuse is reported (the machine's log, usually). */
export type RefcountReporter = (error: KernelError) => void;

/** The value a misused refcount is pinned at, as the kernel's REFCOUNT_SATURATED. */
const SATURATED = 0xc000_0000;
export const REFCOUNT_SATURATED = SATURATED;
/**
 * The top of the counts the common cases take in one test: an int32, so the
 * test is an integer compare (SATURATED is not a small integer, and a compare
 * with it is a double one). Counts from here up take the rare paths, which
 * keep the exact rules up to SATURATED.
 */
const FAST_MAX = 0x3fff_ffff;

/**
 * refcount_t semantics: incrementing from 0 (a use-after-free pattern) and
 * decrementing below 0 are reported and saturate the count, which then never
 * moves again, trading a leak for safety. The count never wraps.
 */
export class Refcount {
  private value: number;
  private pinned = false;

  constructor(
    readonly name: string,
    initial: number,
    private readonly report: RefcountReporter,
  ) {
    if (!Number.isSafeInteger(initial) || initial < 0) {
      throw kerr('EINVAL', `refcount '${name}' initial value must be a non-negative integer, got ${initial}`);
    }
    this.value = initial;
  }

  get count(): number {
    return this.value;
  }

  get saturated(): boolean {
    return this.pinned;
  }

  /**
   * The common case (a live count well below saturation; a pinned count is
   * REFCOUNT_SATURATED, so it is not one) in one test, with the rest apart:
   * inc and decAndTest run on every perf open and close, and this keeps them
   * small enough for V8 to inline there.
   */
  inc(): void {
    const v = this.value;
    if (v > 0 && v < FAST_MAX) this.value = v + 1;
    else this.incRare();
  }

  private incRare(): void {
    if (this.pinned) return;
    if (this.value === 0) {
      this.saturate('addition on 0; use-after-free');
      return;
    }
    if (this.value >= SATURATED - 1) {
      this.saturate('saturated; leaking memory');
      return;
    }
    this.value++;
  }

  /** Increment unless the count is 0; true if it was incremented. */
  incNotZero(): boolean {
    if (this.pinned) return true;
    if (this.value === 0) return false;
    this.inc();
    return true;
  }

  /** Decrement; true when this call brought the count to 0. */
  decAndTest(): boolean {
    const v = this.value;
    if (v > 1 && v <= FAST_MAX) {
      this.value = v - 1;
      return false;
    }
    return this.decAndTestRare();
  }

  private decAndTestRare(): boolean {
    if (this.pinned) return false;
    if (this.value === 0) {
      this.saturate('underflow; use-after-free');
      return false;
    }
    this.value--;
    return this.value === 0;
  }

  dec(): void {
    if (this.decAndTest()) {
      this.saturate('decrement hit 0; leaking memory');
    }
  }

  /** Set a fresh count, e.g. when an object is (re)initialised. */
  set(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw kerr('EINVAL', `refcount '${this.name}' value must be a non-negative integer, got ${value}`);
    }
    this.value = value;
    this.pinned = false;
  }

  /** Pin the count at REFCOUNT_SATURATED and report `what` (for counts with their own underflow rule, e.g. biased ones). */
  saturate(what: string): void {
    this.pinned = true;
    this.value = SATURATED;
    this.report(kerr('EINVAL', `refcount_t '${this.name}': ${what}`));
  }
}
