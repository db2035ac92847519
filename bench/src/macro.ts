// Whole-machine figures: boot, reprobe at scale and retained memory per bound device, one measurement per call.
import { registerBackend } from '@cspmu/arm-cspmu';
import { Machine } from '@cspmu/system';
import { SCF_BACKEND } from './micro.js';
import { manyPmus } from './platforms.js';

const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** One boot of the built-in Grace machine (NVIDIA backend requested and bound), ns. */
export async function bootOnce(): Promise<number> {
  const t0 = performance.now();
  await Machine.boot({ platform: 'grace' });
  return (performance.now() - t0) * 1e6;
}

/** Boot N idle generic-bound devices, then time registering a backend that moves every one of them; ns. */
export async function reprobe(n: number): Promise<number> {
  let m: Machine | undefined = await Machine.boot({ platform: manyPmus(n), installed: [], maxPmus: n });
  // Time the registration, not the collection of the boot's garbage.
  gc();
  const t0 = performance.now();
  await m.modules.registerBuiltin({
    name: 'bench_scf_cspmu',
    version: '1',
    apiVersion: 1,
    depends: ['arm_cspmu'],
    init: (ctx) => registerBackend(ctx, SCF_BACKEND),
    exit: () => undefined,
  });
  const t = (performance.now() - t0) * 1e6;
  const moved = m.driver.bindings().filter((b) => b.backend === 'bench_scf_cspmu').length;
  if (moved !== n) throw new Error(`reprobe moved ${moved} of ${n} devices`);
  m = undefined;
  gc();
  return t;
}

/** Retained heap per bound PMU device, bytes: n devices booted, after GC; null without --expose-gc. */
export async function memoryPerDevice(n = 1000): Promise<number | null> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) return null;
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      collect();
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
