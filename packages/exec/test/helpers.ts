/** Running real programs under a session in tests, and why tests must skip where that cannot work. */
import { type spawn, spawnSync } from 'node:child_process';
import { Machine, type MachineOptions } from '@cspmu/system';
import { type ClockMode, NATIVE, nativeUnavailable, type Session, spawnInSession, startSession, which } from '../src/index.js';

let cachedReason: string | null | undefined;

/** Why real programs cannot run under `cspmu exec` here (no C build, no perf, no namespaces), or undefined. */
export function execUnavailable(needPerf = true): string | undefined {
  if (cachedReason === undefined) {
    const missing = nativeUnavailable();
    if (missing) cachedReason = missing;
    else {
      const r = spawnSync(NATIVE.ns, ['--', 'true'], { encoding: 'utf8' });
      cachedReason = r.status === 0 ? null : `no private mount namespace here: ${(r.stderr || r.error?.message || '').trim()}`;
    }
  }
  if (cachedReason) return cachedReason;
  if (needPerf && !which('perf')) return 'the perf tool is not installed';
  return undefined;
}

/** Skip the current test, printing why. */
export function skipUnless(ctx: Mocha.Context, reason: string | undefined): void {
  if (reason === undefined) return;
  console.log(`      skipped: ${reason}`);
  ctx.skip();
}

export interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function collect(child: ReturnType<typeof spawn>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** A booted machine with a session around it; `stop` takes both down. */
export async function withSession<T>(clock: ClockMode, fn: (s: Session, m: Machine) => Promise<T>, options: MachineOptions = {}): Promise<T> {
  const m = await Machine.boot(options);
  const s = await startSession(m, clock);
  try {
    return await fn(s, m);
  } finally {
    await s.stop();
    await m.shutdown();
  }
}

/** Run a command inside the session and collect its output. */
export function run(s: Session, command: readonly string[]): Promise<Run> {
  return collect(spawnInSession(s, command, { stdio: 'pipe' }));
}

/** `perf stat -x,` lines as [count, unit, event, runtime, percent]. */
export function csvRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.includes(',') && !l.startsWith('#'))
    .map((l) => l.split(','));
}
