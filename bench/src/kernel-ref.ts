// The kernel's own figures beside ours: perf read() and open+close timed by a small C program, when a compiler and its source are there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KernelRef {
  readonly read_ns: number | null;
  readonly open_close_ns: number | null;
  readonly note: string;
}

/** Compile and run bench/native/perf_syscall_ref.c when a C compiler is there. */
export function kernelReference(root: string): KernelRef {
  const src = join(root, 'bench', 'native', 'perf_syscall_ref.c');
  if (!existsSync(src)) return { read_ns: null, open_close_ns: null, note: `no ${src}` };
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
  if (!cc) return { read_ns: null, open_close_ns: null, note: 'no C compiler' };
  const bin = join(mkdtempSync(join(tmpdir(), 'perf-ref-')), 'perf_ref');
  const build = spawnSync(cc, ['-O2', '-o', bin, src], { encoding: 'utf8' });
  if (build.status !== 0) return { read_ns: null, open_close_ns: null, note: `compile failed: ${build.stderr.trim()}` };
  const run = spawnSync(bin, { encoding: 'utf8', timeout: 60000 });
  if (run.status !== 0) return { read_ns: null, open_close_ns: null, note: `perf_event_open not permitted here: ${(run.stderr || run.stdout).trim()}` };
  const j = JSON.parse(run.stdout) as { read_ns: number; open_close_ns: number };
  return { read_ns: j.read_ns, open_close_ns: j.open_close_ns, note: `measured with ${cc} -O2` };
}
