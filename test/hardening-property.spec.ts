// Bounded time as a property: random globs, file kinds, counter widths and durations finish within step budgets on the clock's work counter.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PLATFORMS, type PlatformSpec, ratePerNs } from '@cspmu/hw';
import { compileGlob, KernelError, ManualClock, readRegularFile } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import fc from 'fast-check';

const seed = Number(process.env['CSPMU_SEED'] ?? 20261122);

const dir = mkdtempSync(join(tmpdir(), 'cspmu-kinds-'));
const KINDS: Record<string, string> = {
  small: join(dir, 'small'),
  big: join(dir, 'big'),
  fifo: join(dir, 'fifo'),
  dir: join(dir, 'dir'),
  zero: join(dir, 'zero'),
  device: '/dev/null',
  missing: join(dir, 'missing'),
};
writeFileSync(KINDS['small']!, 'x'.repeat(100));
writeFileSync(KINDS['big']!, 'x'.repeat(300_000));
execFileSync('mkfifo', [KINDS['fifo']!]);
mkdirSync(KINDS['dir']!);
symlinkSync('/dev/zero', KINDS['zero']!);

function onePmu(counterBits: number, clockHz: number): PlatformSpec {
  const base = BUILTIN_PLATFORMS['arm-generic']!;
  const { base1: _b1, irq: _irq, ...proto } = base.pmus[0]!;
  const pmu = {
    ...proto,
    label: 'w',
    id: 1,
    base0: 0x100000000,
    dualPage: false,
    counters: 2,
    cycleCounter: true,
    counterBits,
    irq: { gsi: 100, trigger: 'level' as const },
    clockHz,
  };
  return { ...base, name: 'one', pmus: [pmu] } as PlatformSpec;
}

describe('Hardening property: bounded work', function () {
  this.timeout(120000);
  before(() => console.log(`      bounded-work property seed ${seed} (CSPMU_SEED=${seed} replays it)`));

  it('globs over PMU names and trace filters: at most (|name|+1)(|glob|+1)+1 steps a match', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const names = m.perf.pmus().map((p) => p.name);
    const work = m.kernel.clock.work;
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('*', '?', 'n', 'v', '_', 'x', '0', 'p', 'u', 'm'), maxLength: 40 }), (glob) => {
        const mark = work.steps;
        const g = compileGlob(glob, work);
        let budget = 0;
        for (const n of names) {
          g.test(n);
          budget += (n.length + 1) * (glob.length + 1) + 1;
        }
        expect(work.since(mark)).to.be.at.most(budget);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('file kinds: a regular file under the cap is read in chunks, everything else is refused without reading', () => {
    const clock = new ManualClock();
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(KINDS)), fc.integer({ min: 0, max: 400_000 }), (kind, cap) => {
        const mark = clock.work.steps;
        try {
          const bytes = readRegularFile(KINDS[kind]!, { what: kind, maxBytes: cap, work: clock.work });
          expect(bytes.length).to.be.at.most(cap);
          expect(kind === 'small' || kind === 'big').to.equal(true);
        } catch (e) {
          expect(e).to.be.instanceOf(KernelError);
          expect((e as KernelError).code).to.be.oneOf(['EINVAL', 'ENOENT']);
        }
        expect(clock.work.since(mark)).to.be.at.most(Math.ceil(cap / 65536) + 2);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('counter widths 1-64, whole and fractional rates, and durations up to 10 s: exact counts within 64 steps of the clock', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom(250e6, 500e6, 1e9, 1.1e9, 1.2e9, 1.5e9, 1.6e9, 2e9, 3e9, 4e9 / 3, 104166666.67, 999999937, 123456789),
        fc.integer({ min: 1, max: 10_000_000_000 }),
        async (bits, hz, ns) => {
          const m = await Machine.boot({ platform: onePmu(bits, hz), installed: [] });
          const [ev] = m.open(`${m.driver.bindings()[0]!.pmu}/cycles/`);
          const mark = m.kernel.clock.work.steps;
          m.advance(ns);
          const count = m.perf.read(ev!).value;
          expect(m.kernel.clock.work.since(mark)).to.be.at.most(64);
          // A rate is an exact fraction of events a nanosecond.
          const { n, d } = ratePerNs(hz);
          const truth = Number((BigInt(ns) * BigInt(n)) / BigInt(d));
          // Linux folds (now - prev) & mask at each overflow: exact while a period's events, half the range
          // plus what lands in the overflow's own nanosecond, stay below 2^bits (not at 1 bit, nor at 2 bits above 1 GHz).
          if (Math.ceil(hz / 1e9) < 2 ** (bits - 1)) expect(count).to.equal(truth);
          else expect(count).to.be.at.most(truth);
          await m.shutdown();
        },
      ),
      { seed, numRuns: 60 },
    );
  });
});
