// The kernel's own read() and perf_event_open()+close() costs, from bench/native/perf-syscall-ref.c built with the system C compiler.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How many operations one round of a kernel-relative figure runs, on either side. */
export interface LoopCounts {
  /** Operations per timed loop. */
  readonly n: number;
  /** Timed loops: the C program times one loop of n × loops, ours `loops` loops of n (see perOp). */
  readonly loops: number;
  /** Untimed loops of n first, on both sides: ours need them to reach optimised code (open + close about 6 of 2,000 under load). */
  readonly warmLoops: number;
}

/**
 * How many operations each side runs per round: both sides divide the same
 * count of timed operations, after the same count of untimed ones.
 */
export const KERNEL_LOOP = {
  read: { n: 20_000, loops: 10, warmLoops: 20 },
  openClose: { n: 2_000, loops: 10, warmLoops: 20 },
} as const satisfies Record<string, LoopCounts>;

/** Runs of the reference program: ns per operation, or why it cannot run here. */
export interface KernelRef {
  /** One measurement of read() of an open task-clock counter, ns; undefined when unavailable. */
  readonly read: (() => number) | undefined;
  /** One measurement of perf_event_open() + close(), ns; undefined when unavailable. */
  readonly openClose: (() => number) | undefined;
  readonly note: string;
}

/** Build the reference program; each returned function runs it once, a process of its own per round (about 0.2 s). */
export function kernelReference(root: string): KernelRef {
  const src = join(root, 'bench', 'native', 'perf-syscall-ref.c');
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
  if (!cc) return { read: undefined, openClose: undefined, note: 'no C compiler: kernel-relative figures are n/a' };
  const bin = join(mkdtempSync(join(tmpdir(), 'perf-ref-')), 'perf-syscall-ref');
  const build = spawnSync(cc, ['-O2', '-o', bin, src], { encoding: 'utf8' });
  if (build.status !== 0) return { read: undefined, openClose: undefined, note: `compile failed: ${(build.stderr ?? String(build.error)).trim()}` };
  const run = (what: string, l: LoopCounts) => () => {
    const r = spawnSync(bin, [what, String(l.n * l.loops), String(l.n * l.warmLoops)], { encoding: 'utf8', timeout: 60000 });
    const ns = Number(r.stdout.trim());
    if (r.status !== 0 || !(ns > 0)) throw new Error(`perf-syscall-ref ${what}: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
    return ns;
  };
  const probe = spawnSync(bin, ['read', '1000'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return { read: undefined, openClose: undefined, note: `perf_event_open not permitted here: ${(probe.stderr ?? String(probe.error)).trim()}` };
  return {
    read: run('read', KERNEL_LOOP.read),
    openClose: run('open-close', KERNEL_LOOP.openClose),
    note: `bench/native/perf-syscall-ref.c built with ${cc} -O2`,
  };
}
