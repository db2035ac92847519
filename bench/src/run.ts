// npm run bench: runs every benchmark, compares each figure with its target, and writes bench/results.json.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execRoundTrip } from './exec-roundtrip.js';
import { kernelReference } from './kernel-ref.js';
import { boot, memoryPerDevice, reprobe } from './macro.js';
import { callsiteOps, lazyCount, mmio, openClose, readPath } from './micro.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Figure {
  readonly id: string;
  readonly figure: string;
  readonly median_ns: number | null;
  readonly value: number | null;
  readonly unit: string;
  readonly target: string;
  readonly met: boolean | null;
  readonly detail?: Record<string, number | string | null>;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const started = performance.now();
  const figures: Figure[] = [];
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log('kernel reference (perf_syscall_ref.c)…');
  const ref = kernelReference(ROOT);

  log('mmio…');
  const mm = await mmio();
  const onRead = ref.read_ns ? mm.on / ref.read_ns : null;
  figures.push({
    id: 'mmio_off',
    figure: `readl, tracing off, vs a raw DataView read of the same word (median of ${mm.rounds} alternating rounds)`,
    median_ns: mm.off,
    value: r2(mm.offRatio.median),
    unit: '×',
    target: '≤ 1.3×',
    met: mm.offRatio.median <= 1.3,
    detail: { raw_ns: mm.raw, ratio_min: r2(mm.offRatio.min), ratio_max: r2(mm.offRatio.max) },
  });
  figures.push({
    id: 'mmio_on',
    figure: 'readl with rwmmio tracing into the ring (two records per read), vs the kernel read()',
    median_ns: mm.on,
    value: onRead === null ? null : Math.round(onRead * 1000) / 1000,
    unit: '× kernel read()',
    target: '≤ 0.05× kernel read()',
    met: onRead === null ? null : onRead <= 0.05,
    detail: { kernel_read_ns: ref.read_ns, vs_off: r2(mm.onRatio.median), vs_off_min: r2(mm.onRatio.min), vs_off_max: r2(mm.onRatio.max) },
  });

  log('read path…');
  const rp = await readPath();
  const readRatio = ref.read_ns ? rp.readq / ref.read_ns : null;
  figures.push({
    id: 'read_path',
    figure: 'perf read of a running 64-bit uncore counter (readq), through core, driver and device model',
    median_ns: rp.readq,
    value: readRatio === null ? null : r2(readRatio),
    unit: '× kernel read()',
    target: '≤ 120 ns and ≤ 0.2× kernel read()',
    met: rp.readq <= 120 && (readRatio === null || readRatio <= 0.2),
    detail: { hilohi_ns: rp.hilohi, kernel_read_ns: ref.read_ns },
  });

  log('open/close…');
  const oc = await openClose();
  const ocRatio = ref.open_close_ns ? oc / ref.open_close_ns : null;
  figures.push({
    id: 'open_close',
    figure: 'perfEventOpen + close of an uncore event',
    median_ns: oc,
    value: ocRatio === null ? null : r2(ocRatio),
    unit: '× kernel',
    target: '≤ 0.2× kernel perf_event_open+close',
    met: ocRatio === null ? null : ocRatio <= 0.2,
    detail: { kernel_open_close_ns: ref.open_close_ns },
  });

  log('call-site ops…');
  const cs = await callsiteOps();
  figures.push({
    id: 'callsite_ops',
    figure: 'traced PMU read with 1 relevant + 100 unrelated tracers, vs 1 alone (per-site ops)',
    median_ns: cs.withUnrelated,
    value: r2(cs.withUnrelated / cs.alone),
    unit: '×',
    target: '≤ 1.2×',
    met: cs.withUnrelated / cs.alone <= 1.2,
    detail: { alone_ns: cs.alone, list_dispatch_ns: cs.listDispatch, list_vs_alone: r2(cs.listDispatch / cs.alone) },
  });

  log('lazy count…');
  const lc = await lazyCount();
  figures.push({
    id: 'lazy_count',
    figure: 'reading a counter after 10^12 events vs after 10^3',
    median_ns: lc.large,
    value: r2(lc.large / lc.small),
    unit: '×',
    target: '≤ 1.1×',
    met: lc.large / lc.small <= 1.1,
    detail: { after_1e3_ns: lc.small },
  });

  (globalThis as { gc?: () => void }).gc?.();
  log('boot…');
  const b = await boot();
  figures.push({
    id: 'boot',
    figure: 'booting the built-in Grace machine with nvidia',
    median_ns: b,
    value: r2(b / 1e6),
    unit: 'ms',
    target: '≤ 50 ms',
    met: b <= 50e6,
  });

  (globalThis as { gc?: () => void }).gc?.();
  log('memory…');
  const mem = await memoryPerDevice();
  figures.push({
    id: 'memory',
    figure: 'retained heap per bound PMU device (1,000 devices, after GC)',
    median_ns: null,
    value: mem === null ? null : Math.round(mem),
    unit: 'bytes',
    target: '≤ 64 KiB',
    met: mem === null ? null : mem <= 65536,
    ...(mem === null ? { detail: { note: 'run node with --expose-gc' } } : {}),
  });

  (globalThis as { gc?: () => void }).gc?.();
  log('reprobe scale (1,000 and 10,000 devices)…');
  const rp1k = await reprobe(1000, 5, 2);
  const rp10k = await reprobe(10000, 1);
  figures.push({
    id: 'reprobe_scale',
    figure: 'registering a backend that reprobes N idle devices (median of 5 warm runs at 1,000)',
    median_ns: rp1k,
    value: r2(rp10k / rp1k),
    unit: '× (10,000 vs 1,000)',
    target: '1,000 in ≤ 100 ms; 10,000 ≤ 11× that',
    met: rp1k <= 100e6 && rp10k / rp1k <= 11,
    detail: { n1000_ms: r2(rp1k / 1e6), n10000_ms: r2(rp10k / 1e6) },
  });

  log('exec read round trip…');
  const rt = await execRoundTrip();
  figures.push({
    id: 'exec_read',
    figure: 'read() of an emulated event by a C program under cspmu exec (preload library → cspmu serve → back), vs the kernel read() of cpu-clock',
    median_ns: rt.emulated?.median_ns ?? null,
    value: rt.emulated && rt.kernel ? r2(rt.emulated.median_ns / rt.kernel.median_ns) : null,
    unit: '× kernel read()',
    target: '≤ 20 µs',
    met: rt.emulated ? rt.emulated.median_ns <= 20_000 : null,
    detail: { note: rt.note, min_ns: rt.emulated?.min_ns ?? null, max_ns: rt.emulated?.max_ns ?? null, kernel_read_ns: rt.kernel?.median_ns ?? null },
  });

  const results = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    kernelReference: ref,
    seconds: r2((performance.now() - started) / 1000),
    figures,
  };
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const fmt = (x: number | null) => (x === null ? 'n/a' : x >= 1e6 ? `${(x / 1e6).toFixed(2)} ms` : `${x.toFixed(1)} ns`);
  console.log(`${'id'.padEnd(15)}${'median'.padStart(12)}  ${'value'.padEnd(28)}${'target'.padEnd(38)}met`);
  for (const f of figures) {
    console.log(
      `${f.id.padEnd(15)}${fmt(f.median_ns).padStart(12)}  ${`${f.value ?? 'n/a'} ${f.unit}`.padEnd(28)}${f.target.padEnd(38)}${f.met === null ? 'n/a' : f.met ? 'yes' : 'NO'}`,
    );
  }
  console.log(`kernel reference: read ${ref.read_ns ?? 'n/a'} ns, open+close ${ref.open_close_ns ?? 'n/a'} ns (${ref.note})`);
  console.log(`written to bench/results.json in ${results.seconds} s`);
}

await main();
