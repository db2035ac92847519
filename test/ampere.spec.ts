// Tests of the out-of-tree Ampere backend: public imports only, loading by name, PMAUXR programming, one filter per PMU.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CspmuInstance, PerfEvent } from '@cspmu/arm-cspmu';
import type { KernelError } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { ampereBackend } from 'cspmu-ampere-backend';
import { MS, recordAccesses } from './helpers/machine.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('Ampere backend (out-of-tree example plugin)', function () {
  this.timeout(60000);

  it('imports nothing but the public backend API', () => {
    const dir = join(ROOT, 'examples', 'ampere-backend', 'src');
    const specifiers = readdirSync(dir)
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!))
      .filter((s) => !s.startsWith('./'));
    expect([...new Set(specifiers)].sort()).to.deep.equal(['@cspmu/arm-cspmu']);
  });

  it('is loaded by name at runtime and names its PMUs ampere_mcu_pmu_<n>', async () => {
    const m = await Machine.boot({ platform: 'ampereone' });
    expect(m.driver.bindings().map((b) => b.pmu)).to.deep.equal(Array.from({ length: 8 }, (_, i) => `ampere_mcu_pmu_${i}`));
    await m.unload('ampere_cspmu');
    expect(m.driver.bindings().every((b) => b.backend === 'arm_cspmu_generic')).to.equal(true);
    await m.load('cspmu-ampere-backend');
    // A freshly loaded module starts its counter at 0 again...
    expect(m.driver.bindings().map((b) => b.pmu)).to.deep.equal(Array.from({ length: 8 }, (_, i) => `ampere_mcu_pmu_${i}`));
    // ...but within one module lifetime a number is never given back, as upstream's IDA.
    const dev = m.bus.device('arm-cs-arch-pmu.3')!;
    await m.bus.deviceReleaseDriver(dev);
    await m.bus.attachDevice(dev);
    expect(m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.3')!.pmu).to.equal('ampere_mcu_pmu_8');
    const fs = m.kernel.sysfs;
    const dir = '/bus/event_source/devices/ampere_mcu_pmu_8';
    expect(fs.list(`${dir}/format`).map((f) => `${f}=${fs.read(`${dir}/format/${f}`).trim()}`)).to.deep.equal([
      'bank=config1:24-55',
      'event=config:0-32',
      'rank=config1:8-23',
      'threshold=config1:0-7',
    ]);
    expect(fs.list(`${dir}/events`)).to.have.length(58);
    expect(fs.read(`${dir}/events/rd_sent`)).to.equal('event=0x3\n');
    expect(fs.read(`${dir}/events/wr_run_len`)).to.equal('event=0x3c\n');
  });

  it('programs threshold, rank and bank into PMAUXR0-2 and nothing into the filter registers', async () => {
    const m = await Machine.boot({ platform: 'ampereone' });
    const rec = recordAccesses(m);
    m.open('ampere_mcu_pmu_0/act_sent,bank=5,rank=3,threshold=2/,ampere_mcu_pmu_0/cycles/');
    const w = rec.log.filter((a) => a.write && ((a.off >= 0xd80 && a.off < 0xe00) || (a.off >= 0x800 && a.off < 0xc00) || a.off === 0x47c));
    // Opening `cycles` reschedules the PMU, so act_sent is started (and its PMAUXR values written) a second time.
    expect(w.map((a) => `0x${a.off.toString(16)}=${a.value}`)).to.deep.equal(['0xd80=2', '0xd84=3', '0xd88=5', '0xd80=2', '0xd84=3', '0xd88=5']);
  });

  it('enforces one filter per PMU instance: a group mixing values is EINVAL', async () => {
    const m = await Machine.boot({ platform: 'ampereone' });
    try {
      m.open('{ampere_mcu_pmu_1/act_sent,bank=5/,ampere_mcu_pmu_1/rd_sent,bank=4/}');
      expect.fail('expected EINVAL');
    } catch (e) {
      expect((e as KernelError).code).to.equal('EINVAL');
    }
    expect(m.perf.liveEvents()).to.have.length(0);
    const same = m.open('{ampere_mcu_pmu_1/act_sent,bank=5/,ampere_mcu_pmu_1/rd_sent,bank=5/}');
    expect(same).to.have.length(2);
  });

  it('never counts two different filters at once on one PMU: such events take turns', async () => {
    const m = await Machine.boot({ platform: 'ampereone' });
    const [a, b] = m.open('ampere_mcu_pmu_2/act_sent,rank=1/,ampere_mcu_pmu_2/act_sent,rank=2/');
    m.advance(12 * MS);
    const ra = m.perf.read(a!);
    const rb = m.perf.read(b!);
    expect(ra.timeRunning + rb.timeRunning).to.equal(12 * MS);
    expect([ra.timeRunning, rb.timeRunning]).to.deep.equal([8 * MS, 4 * MS]);
  });

  describe('as Linux 6.12 had it (the intermediate ampere_cspmu)', () => {
    /** The writes of opening `events` on ampere_mcu_pmu_0 under `kernelVersion`, as rwmmio would list them. */
    async function openWrites(kernelVersion: '7.3' | '6.12', events: string): Promise<string[]> {
      const m = await Machine.boot({ platform: 'ampereone', kernelVersion });
      const dev = m.driver.bindings().find((b) => b.pmu === 'ampere_mcu_pmu_0')!.device;
      const rec = recordAccesses(m);
      m.open(events);
      const w = rec.text(dev).filter((a) => a.startsWith('W'));
      await m.shutdown();
      return w;
    }

    it('writes PMCCFILTR = 0 when the cycle counter starts (7.3 writes nothing there)', async () => {
      const common = ['W32 0xe04 = 0x0', 'W64 0xf8 = 0x7fffffffffffffff'];
      const enable = ['W32 0xc40 = 0x80000000', 'W32 0xc00 = 0x80000000', 'W32 0xe04 = 0x1'];
      expect(await openWrites('6.12', 'ampere_mcu_pmu_0/cycles/')).to.deep.equal([...common, 'W32 0x47c = 0x0', ...enable]);
      expect(await openWrites('7.3', 'ampere_mcu_pmu_0/cycles/')).to.deep.equal([...common, ...enable]);
    });

    it('an event after the cycle counter: the same PMAUXR writes as 7.3, since every event counting has the same filters', async () => {
      const tail = [
        'W64 0x0 = 0x7fffffffffffffff',
        'W32 0x400 = 0x1',
        'W32 0xd80 = 0x2',
        'W32 0xd84 = 0x3',
        'W32 0xd88 = 0x5',
        'W32 0xc40 = 0x1',
        'W32 0xc00 = 0x1',
        'W32 0xe04 = 0x1',
      ];
      const w = await openWrites('6.12', '{ampere_mcu_pmu_0/cycles,threshold=2,rank=3,bank=5/,ampere_mcu_pmu_0/act_sent,threshold=2,rank=3,bank=5/}');
      expect(w.slice(-tail.length)).to.deep.equal(tail);
      // The leader starts when it is opened and again when its sibling joins.
      expect(w.filter((a) => a.startsWith('W32 0x47c'))).to.deep.equal(['W32 0x47c = 0x0', 'W32 0x47c = 0x0']);
    });

    it('takes PMAUXR0-2 from the event on the first regular counter in use, not from the event being started', () => {
      // The driver never lets two filters count at once, so only the backend op itself can show where the values come from.
      const ev = (threshold: number, rank: number, bank: number) =>
        ({ attr: { config: 1n, config1: BigInt(threshold) | (BigInt(rank) << 8n) | (BigInt(bank) << 24n), config2: 0n } }) as unknown as PerfEvent;
      const first = ev(1, 2, 3);
      const started = ev(4, 5, 6);
      for (const [kernelVersion, expected] of [
        ['6.12', ['0xd80=1', '0xd84=2', '0xd88=3']],
        ['7.3', ['0xd80=4', '0xd84=5', '0xd88=6']],
      ] as const) {
        const writes: string[] = [];
        const inst = {
          kernelVersion,
          device: 'arm-cs-arch-pmu.0',
          hasCycleCounter: true,
          cycleCounterLogicalIdx: 10,
          // The cycle counter (logical 10) is in use too, and is not a regular counter.
          usedCounters: () => [2, 5, 10],
          eventAt: (idx: number) => (idx === 2 ? first : idx === 5 ? started : ev(7, 7, 7)),
          base0: { writel: (v: number, off: number) => writes.push(`0x${off.toString(16)}=${v}`) },
          nameIndex: () => 0,
          uniqueName: (n: string) => n,
        } as unknown as CspmuInstance;
        ampereBackend.init(inst).setEvFilter!(inst, started);
        expect(writes, kernelVersion).to.deep.equal(expected);
      }
    });
  });
});
