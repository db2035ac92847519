// Whole-machine figures: boot, reprobe at scale and retained memory per bound device, one measurement per call.
import { registerBackend } from '@cspmu/arm-cspmu';
import { Machine } from '@cspmu/system';
import { manyPmus } from '@cspmu/testkit';
import { SCF_BACKEND } from './micro.js';

const gc = () => (globalThis as { gc?: () => void }).gc?.();

/**
 * Full GCs with a turn of the event loop after each, so that what the last
 * GC began in the background (sweeping the freed pages) is finished too.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

/** One boot of the built-in Grace machine (NVIDIA backend requested and bound), ns. */
export async function bootOnce(): Promise<number> {
  const t0 = performance.now();
  await Machine.boot({ platform: 'grace' });
  return (performance.now() - t0) * 1e6;
}

/** Boot N idle generic-bound devices, then time registering a backend that moves every one of them; ns. */
export async function reprobe(n: number): Promise<number> {
  let m: Machine | undefined = await Machine.boot({ platform: manyPmus(n), installed: [], maxPmus: n });
  // Time the registration, not the collection of the boot's garbage (or of the last run's machine): after a
  // single gc() the registration went on to sweep what it freed, and main-thread CPU per 1,000-device run varied
  // 57-92 ms (median 67) in runs alternating with 10,000, against 54-66 ms (median 59) once settled.
  await settle();
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

/**
 * Memory per bound PMU device, bytes: what n more devices retain, in the V8
 * heap and in typed-array stores (the register pages and counter state live
 * in ArrayBuffers, outside the heap; counting only the heap would let memory
 * hide there). A machine of 10 devices is the baseline, so the machine's own
 * fixed cost (trace ring, services) is not charged to its devices.
 *
 * Each machine's cost is what freeing it gives back: both machines are
 * booted, then the big one is dropped and then the small one, with a full
 * GC before each reading. Comparing the heap before and after each boot
 * instead also counted what a boot compiles and caches for the process (the
 * first round's baseline machine paid for all of it, so the first round read
 * about 1 KB per device low) and whatever the GC happened to free of earlier
 * rounds (later rounds drifted up by up to 1 KB). Dropping a machine frees
 * exactly what only it holds.
 */
export async function memoryPerDevice(n = 1000): Promise<{ total: number; heap: number; buffers: number } | null> {
  if (!(globalThis as { gc?: () => void }).gc) return null;
  const use = () => {
    const u = process.memoryUsage();
    return { heap: u.heapUsed, buffers: u.arrayBuffers };
  };
  const held: { small?: Machine; big?: Machine } = {};
  held.small = await Machine.boot({ platform: manyPmus(10), installed: [] });
  held.big = await Machine.boot({ platform: manyPmus(n + 10), installed: [], maxPmus: n + 10 });
  if (held.small.driver.instances.size !== 10 || held.big.driver.instances.size !== n + 10) throw new Error('not every device bound');
  await settle();
  const both = use();
  held.big = undefined;
  await settle();
  const smallOnly = use();
  held.small = undefined;
  await settle();
  const none = use();
  const per = (k: 'heap' | 'buffers') => (both[k] - smallOnly[k] - (smallOnly[k] - none[k])) / n;
  return { total: per('heap') + per('buffers'), heap: per('heap'), buffers: per('buffers') };
}
