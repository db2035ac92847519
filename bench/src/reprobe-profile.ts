// Where reprobe time goes at 1,000 and 10,000 devices: V8 CPU profiles of the registration alone, self time summed by layer, per device.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerBackend } from '@cspmu/arm-cspmu';
import { Machine } from '@cspmu/system';
import { manyPmus } from '@cspmu/testkit';
import { SCF_BACKEND } from './micro.js';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Layers, first match wins: a sample's self time is charged to the layer of the function it is in. */
const LAYERS: readonly [string, (fn: string, url: string) => boolean][] = [
  ['garbage collection', (fn) => fn === '(garbage collector)'],
  [
    'async context (promise hooks)',
    (fn, url) => url.includes('async_hooks') || url.includes('/kernel/dist/src/base/task-context') || /^promise(Init|Before|After|Resolve)Hook$/.test(fn),
  ],
  ['locks and lockdep', (_, url) => url.includes('/kernel/dist/src/locking/')],
  ['call chains (runAsync, call sites)', (_, url) => url.includes('/kernel/dist/src/trace/')],
  ['sysfs', (_, url) => url.includes('/kernel/dist/src/driver/sysfs')],
  ['driver core (bus, devres)', (_, url) => url.includes('/kernel/dist/src/driver/')],
  ['KASAN shadows', (_, url) => url.includes('/kernel/dist/src/mm/')],
  ['other kernel', (_, url) => url.includes('/kernel/dist/')],
  ['MMIO', (_, url) => url.includes('/mmio/dist/')],
  ['device model (hw)', (_, url) => url.includes('/hw/dist/')],
  ['perf core', (_, url) => url.includes('/perf/dist/')],
  ['arm_cspmu driver', (_, url) => url.includes('/arm-cspmu/dist/')],
  ['V8 and Node internals', (_, url) => url === '' || url.startsWith('node:')],
  ['other', () => true],
];

/** Self time (µs) per layer within [start, end] (µs, the profile's clock). */
export function layerTimes(p: CpuProfile, start: number, end: number): Map<string, number> {
  const layerOf = new Map<number, string>();
  for (const n of p.nodes) layerOf.set(n.id, LAYERS.find(([, m]) => m(n.callFrame.functionName, n.callFrame.url))![0]);
  const out = new Map<string, number>(LAYERS.map(([l]) => [l, 0]));
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    if (t < start || t > end) continue;
    const l = layerOf.get(p.samples[i]!)!;
    out.set(l, out.get(l)! + (p.timeDeltas[i + 1] ?? 0));
  }
  return out;
}

/** The child: boot n devices, register the backend, and record the registration's window on the profiler's clock. */
async function child(n: number, dir: string): Promise<void> {
  const mod = () => ({
    name: 'bench_scf_cspmu',
    version: '1',
    apiVersion: 1,
    depends: ['arm_cspmu'],
    init: (ctx: Parameters<typeof registerBackend>[0]) => registerBackend(ctx, SCF_BACKEND),
    exit: () => undefined,
  });
  // Warm the JIT on a small machine first, as the timed bench does.
  await (await Machine.boot({ platform: manyPmus(1000), installed: [] })).modules.registerBuiltin(mod());
  const m = await Machine.boot({ platform: manyPmus(n), installed: [], maxPmus: n });
  // Settled as the timed bench settles: full GCs, each followed by a turn of the event loop for its sweeping.
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setImmediate(r));
  }
  const us = () => Number(process.hrtime.bigint() / 1000n);
  const start = us();
  await m.modules.registerBuiltin(mod());
  writeFileSync(join(dir, 'window.json'), JSON.stringify({ start, end: us() }));
}

/** One layer's CPU per device at each size profiled, µs. */
export interface LayerRow {
  readonly layer: string;
  readonly usPerDevice: readonly number[];
}

/** Profile the registration at each size in a child process, `runs` times each; per-device µs by layer, the median over runs. */
export function profileReprobe(sizes: readonly number[] = [1000, 10000], runs = 3): LayerRow[] {
  const script = fileURLToPath(import.meta.url);
  const once = (n: number) => {
    const dir = mkdtempSync(join(tmpdir(), `reprobe-prof-${n}-`));
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', '--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200', script, '--child', String(n), dir],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`profiling ${n} devices failed: ${r.stderr}`);
    const prof = JSON.parse(readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!), 'utf8')) as CpuProfile;
    const w = JSON.parse(readFileSync(join(dir, 'window.json'), 'utf8')) as { start: number; end: number };
    rmSync(dir, { recursive: true, force: true });
    return layerTimes(prof, w.start, w.end);
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const per = sizes.map((n) => {
    const all = Array.from({ length: runs }, () => once(n));
    return { n, us: (layer: string) => Math.round((median(all.map((t) => t.get(layer)!)) / n) * 10) / 10 };
  });
  const rows = LAYERS.map(([layer]) => ({ layer, usPerDevice: per.map((p) => p.us(layer)) })).filter((r) => r.usPerDevice.some((u) => u > 0));
  rows.push({ layer: 'total', usPerDevice: sizes.map((_, i) => Math.round(rows.reduce((a, r) => a + r.usPerDevice[i]!, 0) * 10) / 10) });
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--child') await child(Number(process.argv[3]), process.argv[4]!);
  else {
    console.log(`${'layer'.padEnd(52)}${'1,000'.padStart(9)}${'10,000'.padStart(9)}`);
    for (const r of profileReprobe()) console.log(`${r.layer.padEnd(52)}${r.usPerDevice.map((u) => u.toFixed(1).padStart(9)).join('')}`);
  }
}
