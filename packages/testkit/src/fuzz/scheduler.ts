// A seeded task scheduler for the fuzzer: which waiting task runs next comes only from the run's seed.

interface Waiting {
  readonly id: number;
  readonly release: () => void;
}

/**
 * Every mutex acquisition, work item and module load waits here until the
 * scheduler releases it. The choice among waiting tasks comes from a
 * generator seeded by the run (a value fast-check generates), so a run
 * replays decision for decision. (fast-check's own scheduler keeps the
 * random state it has consumed when a run is shrunk, so shrunk runs did not
 * replay from their path.)
 */
export class SeededScheduler {
  private readonly waiting: Waiting[] = [];
  private state: number;
  private created = 0;
  /** Decisions made among two or more waiting tasks. */
  choices = 0;

  constructor(
    seed: number,
    /** Told of every decision: which task was released among how many. */
    private readonly onDecision?: (task: number, waiting: number) => void,
  ) {
    this.state = seed >>> 0;
  }

  /** A promise that resolves when the scheduler releases this task. */
  schedule(): Promise<void> {
    const id = ++this.created;
    return new Promise<void>((release) => void this.waiting.push({ id, release }));
  }

  count(): number {
    return this.waiting.length;
  }

  /**
   * Release one waiting task, chosen by the seed, and let it run until it
   * waits again or ends (everything queued as microtasks runs before the
   * next macrotask).
   */
  async releaseOne(): Promise<void> {
    const n = this.waiting.length;
    if (n === 0) return;
    if (n > 1) this.choices++;
    const [task] = this.waiting.splice(this.nextInt(n), 1);
    this.onDecision?.(task!.id, n);
    task!.release();
    await new Promise<void>((r) => setImmediate(r));
  }

  /** mulberry32: small, fast, and the same on every platform. */
  private nextInt(n: number): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  }
}
