// The kernel's own read() and perf_event_open()+close() costs, from bench/native/perf-syscall-ref.c built with the system C compiler.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * How many operations each side times per measurement: the C program one loop
 * of n × loops, ours `loops` loops of n (see perOp), so both sides divide the
 * same count of operations and take as long.
 */
export const KERNEL_LOOP = {
  read: { n: 20_000, loops: 10 },
  openClose: { n: 2_000, loops: 10 },
} as const;

/** Runs of the reference program: ns per operation, or why it cannot run here. */
export interface KernelRef {
  /** One measurement of read() of an open task-clock counter, ns; undefined when unavailable. */
  readonly read: (() => number) | undefined;
  /** One measurement of perf_event_open() + close(), ns; undefined when unavailable. */
  readonly openClose: (() => number) | undefined;
  readonly note: string;
}

/** Build the reference program; each returned function runs it once (about 0.2 s). */
export function kernelReference(root: string): KernelRef {
  const src = join(root, 'bench', 'native', 'perf-syscall-ref.c');
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
  if (!cc) return { read: undefined, openClose: undefined, note: 'no C compiler: kernel-relative figures are n/a' };
  const bin = join(mkdtempSync(join(tmpdir(), 'perf-ref-')), 'perf-syscall-ref');
  const build = spawnSync(cc, ['-O2', '-o', bin, src], { encoding: 'utf8' });
  if (build.status !== 0) return { read: undefined, openClose: undefined, note: `compile failed: ${build.stderr.trim()}` };
  const run = (what: string, n: number) => () => {
    const r = spawnSync(bin, [what, String(n)], { encoding: 'utf8', timeout: 60000 });
    const ns = Number(r.stdout.trim());
    if (r.status !== 0 || !(ns > 0)) throw new Error(`perf-syscall-ref ${what}: ${(r.stderr || r.stdout).trim()}`);
    return ns;
  };
  const probe = spawnSync(bin, ['read', '1000'], { encoding: 'utf8' });
  if (probe.status !== 0) return { read: undefined, openClose: undefined, note: `perf_event_open not permitted here: ${probe.stderr.trim()}` };
  const total = (l: { n: number; loops: number }) => l.n * l.loops;
  return {
    read: run('read', total(KERNEL_LOOP.read)),
    openClose: run('open-close', total(KERNEL_LOOP.openClose)),
    note: `bench/native/perf-syscall-ref.c built with ${cc} -O2`,
  };
}
