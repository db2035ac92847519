/** The read() round trip of an emulated event through the preload library and `cspmu serve`, beside the kernel's own read(). */
import { spawnSync } from 'node:child_process';
import { NATIVE, nativeUnavailable, spawnInSession, startSession } from '@cspmu/exec';
import { Machine } from '@cspmu/system';

export interface RoundTrip {
  readonly emulated: { median_ns: number; min_ns: number; max_ns: number } | null;
  readonly kernel: { median_ns: number; min_ns: number; max_ns: number } | null;
  readonly note: string;
}

const ROUNDS = '200';

export async function execRoundTrip(): Promise<RoundTrip> {
  const missing = nativeUnavailable();
  if (missing) return { emulated: null, kernel: null, note: missing };
  const k = spawnSync(NATIVE.readLoop, ['1', '0', '0', ROUNDS], { encoding: 'utf8' }); // cpu-clock on cpu 0: a kernel read()
  const kernel = k.status === 0 ? JSON.parse(k.stdout) : null;
  const m = await Machine.boot({});
  const s = await startSession(m, 'wall');
  try {
    const child = spawnInSession(
      s,
      ['sh', '-c', `exec ${NATIVE.readLoop} $(cat /sys/bus/event_source/devices/nvidia_scf_pmu_1/type) 0x100000000 72 ${ROUNDS}`],
      { stdio: 'pipe' },
    );
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (status !== 0) return { emulated: null, kernel, note: `read-loop under cspmu exec failed: ${err.trim()}` };
    return { emulated: JSON.parse(out), kernel, note: 'C client, 200 batches of 200 reads, wall clock mode; kernel: cpu-clock on cpu 0' };
  } finally {
    await s.stop();
    await m.shutdown();
  }
}
