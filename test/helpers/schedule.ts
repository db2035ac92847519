// Test helpers for driving interleavings on purpose: park tasks at a named preemption point, and let tasks run for n turns.
import type { Machine } from '@cspmu/system';

/**
 * Park every task that reaches the preemption point `where` (Kernel.preempt or a
 * mutex/work yield of that name) until `release()`; later arrivals pass straight through.
 */
export function holdAt(m: Machine, where: string): { readonly held: number; release: () => void } {
  let open = false;
  let held = 0;
  const waiters: (() => void)[] = [];
  m.kernel.yieldPoint = (w) => {
    if (open || w !== where) return undefined;
    held++;
    return new Promise<void>((r) => waiters.push(r));
  };
  return {
    get held() {
      return held;
    },
    release() {
      open = true;
      m.kernel.yieldPoint = undefined;
      for (const w of waiters.splice(0)) w();
    },
  };
}

/** Let every runnable task run for `n` turns of the event loop (explicit scheduling; no timers, no sleeps). */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}
