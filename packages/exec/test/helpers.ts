/** Running real programs under a session in tests, why tests must skip where that cannot work, and the real perf's report beside cspmu stat's. */
import { type spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Machine, type MachineOptions } from '@cspmu/system';
import { expect } from 'chai';
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

const CLI = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

/** A report without its elapsed time (perf's is wall time, cspmu's the virtual 100 ms a run), with -r's deviation. */
export const steady = (s: string) => s.replace(/^ +[\d.]+( \+- [\d.]+)? seconds time elapsed( {2}\( \+- +[\d.]+% \))?$/m, '<elapsed>');

/** A case of perf stat options to run through both tools, and what it shows. */
export interface BesideCase {
  readonly why: string;
  readonly args: readonly string[];
}

/**
 * A describe block with one test per case: `perf stat ARGS sleep 0.1` under
 * `cspmu exec --clock virtual` beside `cspmu stat ARGS --duration 100ms`
 * (both with the units proposal) must both succeed and print the same report,
 * elapsed time aside.
 */
export function describeBesidePerf(title: string, cases: readonly BesideCase[]): void {
  describe(title, function () {
    this.timeout(60_000);
    for (const c of cases) {
      it(`${c.why}: perf stat ${c.args.join(' ')}`, async function () {
        skipUnless(this, execUnavailable());
        const perf = await withSession('virtual', (s) => run(s, ['perf', 'stat', ...c.args, 'sleep', '0.1']), { proposed: ['units'] });
        const ours = spawnSync(process.execPath, [CLI, 'stat', '--proposed', 'units', ...c.args, '--duration', '100ms'], { encoding: 'utf8' });
        expect([perf.status, ours.status], `${perf.stderr}\n${ours.stderr}`).to.deep.equal([0, 0]);
        expect(steady(ours.stderr)).to.equal(steady(perf.stderr));
      });
    }
  });
}
