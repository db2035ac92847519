// Whole-machine benchmarks: boot time, reprobe time for N idle devices, and retained heap per bound PMU device.
import { registerBackend } from '@cspmu/arm-cspmu';
import { Machine } from '@cspmu/system';
import { SCF_BACKEND } from './micro.js';
import { manyPmus } from './platforms.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Boot the built-in Grace machine (NVIDIA backend requested and bound): median of several boots, ns. */
export async function boot(runs = 9): Promise<number> {
  for (let i = 0; i < 2; i++) await Machine.boot({ platform: 'grace' });
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await Machine.boot({ platform: 'grace' });
    t.push((performance.now() - t0) * 1e6);
  }
  return median(t);
}

/** Register a backend that moves N idle generic-bound devices; ns for the registration (after `warmup` discarded runs). */
export async function reprobe(n: number, runs: number, warmup = 0): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const m = await Machine.boot({ platform: manyPmus(n), installed: [], maxPmus: n });
    // Time the registration, not the collection of the boot's garbage.
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    await m.modules.registerBuiltin({
      name: 'bench_scf_cspmu',
      version: '1',
      apiVersion: 1,
      depends: ['arm_cspmu'],
      init: (ctx) => registerBackend(ctx, SCF_BACKEND),
      exit: () => undefined,
    });
    if (i >= warmup) t.push((performance.now() - t0) * 1e6);
    const moved = m.driver.bindings().filter((b) => b.backend === 'bench_scf_cspmu').length;
    if (moved !== n) throw new Error(`reprobe moved ${moved} of ${n} devices`);
  }
  return median(t);
}

/** Retained heap per bound PMU device, bytes: 1,000 devices, after GC. */
export async function memoryPerDevice(n = 1000): Promise<number | null> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
  };
  await Machine.boot({ platform: manyPmus(10), installed: [] });
  await settle();
  const before = process.memoryUsage().heapUsed;
  const m = await Machine.boot({ platform: manyPmus(n), installed: [], maxPmus: n });
  await settle();
  const after = process.memoryUsage().heapUsed;
  if (m.driver.instances.size !== n) throw new Error('not every device bound');
  return (after - before) / n;
}
