// Filters in the workload model: the schema, and a device counting at the rate its filter registers select, exactly.
import { KernelError } from '@cspmu/kernel';
import { expect } from 'chai';
import { PMCR, REG, Workload, type WorkloadSpec } from '../src/index.js';
import { rig } from './helpers.js';

const one = (stream: object): WorkloadSpec => ({ name: 'w', phases: [{ durationNs: 1_000_000, streams: [{ pmu: '*', event: 1, ...stream }] }] });
const sel = (over: object = {}) => ({ label: 'pmu0', event: 1, filter: 0, filter2: 0, ...over });

describe('Workload filters', () => {
  describe('schema', () => {
    it('takes a rate per bit, per value and under conditions, on filter, filter2, PMIMPDEF and PMCCFILTR', () => {
      const w = new Workload({
        name: 'w',
        phases: [
          {
            durationNs: 1000,
            streams: [
              { pmu: '*', event: 1, bits: { field: 'filter2:4-7', rates: [1, 2, 4, 8] } },
              { pmu: '*', event: 2, values: { field: 'impdef0:0-7', rates: { '0': 100, '0x2': 50 }, otherwise: 7 } },
              {
                pmu: '*',
                event: 3,
                rate: 9,
                when: [
                  { field: 'impdef1:8-23', anyBit: '0x3' },
                  { field: 'impdef2', noBit: 1 },
                ],
              },
              { pmu: '*', event: 'cycles', values: { field: 'filter', rates: { '0': 1000 }, otherwise: 10 } },
              { pmu: '*', event: 4, bits: { field: 'filter:30-33', rates: [1, 2, 4, 8] } },
            ],
          },
        ],
      });
      expect(w.rateIn(0, sel({ filter2: 0x50 }))).to.equal(1 + 4);
      expect(w.rateIn(0, sel({ filter2: 0x0f }))).to.equal(0);
      expect([0, 2, 3].map((t) => w.rateIn(0, sel({ event: 2, impdef: [t] })))).to.deep.equal([100, 50, 7]);
      expect(w.rateIn(0, sel({ event: 3, impdef: [0, 0x200, 0] }))).to.equal(9);
      expect(w.rateIn(0, sel({ event: 3, impdef: [0, 0x400, 0] }))).to.equal(0);
      expect(w.rateIn(0, sel({ event: 3, impdef: [0, 0x100, 1] }))).to.equal(0);
      expect(w.rateIn(0, sel({ event: 'cycles' }))).to.equal(1000);
      expect(w.rateIn(0, sel({ event: 'cycles', filter: 1 }))).to.equal(10);
      // A field may run across the two words of a 64-bit filter (FEAT_CSPMU_EXT64).
      expect(w.rateIn(0, sel({ event: 4, filter: 0x80000000, filterHi: 0x2 }))).to.equal(2 + 8);
      expect(w.impdefWordsFor('pmu0')).to.deep.equal([0, 1, 2]);
      expect(w.countsCycles('pmu0')).to.equal(true);
    });

    it('refuses a bad filter description naming the stream and field', () => {
      const bad: [object, string][] = [
        [{ rate: 1, bits: { field: 'filter', rates: [1] } }, "give exactly one of 'rate', 'ports', 'bits' or 'values' (got rate, bits)"],
        [{ bits: { field: 'filtre', rates: [1] } }, "bits.field: 'filtre' is not a field: write filter, filter2 or impdef0..impdef31"],
        [{ bits: { field: 'impdef32', rates: [1] } }, "'impdef32' is not a field"],
        [{ bits: { field: 'impdef0:24-40', rates: [1] } }, 'bits 24-40 of impdef0 do not exist (bits 0-31, low bit first)'],
        [{ bits: { field: 'filter:9-3', rates: [1] } }, 'bits 9-3 of filter do not exist'],
        [{ bits: { field: 'filter:0-40', rates: [1] } }, 'field filter:0-40 is 41 bits wide; a field has at most 32'],
        [{ bits: { field: 'filter:0-1', rates: [1, 2, 3] } }, 'bits.rates: 3 rates for the 2 bits of filter:0-1'],
        [{ values: { field: 'impdef0:0-7', rates: { '0x100': 1 } } }, 'values.rates.0x100: 0x100 does not fit field impdef0:0-7 (8 bits)'],
        [{ rate: 1, when: [{ field: 'filter:0-3', equals: 16 }] }, 'when.0.equals: 0x10 does not fit field filter:0-3 (4 bits)'],
        [{ rate: 1, when: [{ field: 'filter', equals: 1, anyBit: 1 }] }, 'when.0: must NOT have more than 2 properties'],
        [{ rate: 1, when: [{ field: 'filter' }] }, 'when.0: must NOT have fewer than 2 properties'],
        [{ event: 'cycles', bits: { field: 'filter2', rates: [1] } }, "the cycle counter has no PMEVFILT2R; its filter is PMCCFILTR ('filter')"],
        [{ event: 'cyc' }, 'phases.0.streams.0.event: must be a non-negative integer, a "0x…" string or "cycles"'],
      ];
      for (const [stream, msg] of bad) expect(() => new Workload(one(stream)), msg).to.throw(KernelError, msg);
    });
  });

  describe('a device counts what its filter registers select', () => {
    const IMPDEF = (i: number) => REG.PMIMPDEF + 4 * i;
    const spec: WorkloadSpec = {
      name: 'filters',
      phases: [
        {
          durationNs: 1_000_000,
          streams: [
            { pmu: '*', event: 0x11, values: { field: 'impdef0:0-7', rates: { '0': 1e9, '2': 2.5e8 } } },
            { pmu: '*', event: 0x11, bits: { field: 'impdef1:8-23', rates: [1e8, 3e8] }, when: [{ field: 'impdef0:0-7', equals: 0 }] },
            { pmu: '*', event: 0x12, bits: { field: 'filter2', rates: [1e8, 2e8] } },
            { pmu: '*', event: 'cycles', values: { field: 'filter', rates: { '0': 1e9, '1': 5e8 } } },
          ],
        },
      ],
    };

    it('changes the rate at the PMIMPDEF write, by exactly the modelled amount, for every counter', () => {
      const { io0, clock } = rig({}, spec);
      io0.writel(0x11, REG.PMEVTYPER);
      io0.writel(0x11, REG.PMEVTYPER + 4);
      io0.writel(0x3, REG.PMCNTENSET);
      io0.writel(PMCR.E, REG.PMCR);
      clock.advance(1000); // threshold 0, no rank: 1 per ns
      io0.writel(2, IMPDEF(0));
      clock.advance(1000); // threshold 2: 0.25 per ns
      io0.writel(0, IMPDEF(0));
      io0.writel(0x300, IMPDEF(1));
      clock.advance(1000); // threshold 0, ranks 0 and 1: 1 + 0.1 + 0.3 per ns
      io0.writel(0x7, IMPDEF(5)); // a word no stream reads
      clock.advance(1000);
      const expected = 1000 + 250 + 1400 + 1400;
      expect([io0.readl(REG.PMEVCNTR), io0.readl(REG.PMEVCNTR + 4)]).to.deep.equal([expected, expected]);
    });

    it('takes filter2 from the counter it belongs to, and the cycle counter from PMCCFILTR', () => {
      const { io0, clock } = rig({}, spec);
      io0.writel(0x12, REG.PMEVTYPER);
      io0.writel(0x12, REG.PMEVTYPER + 4);
      io0.writel(0x2, REG.PMEVFILT2R + 4); // counter 1 only
      io0.writel(1, REG.PMCCFILTR);
      io0.writel(0x80000003, REG.PMCNTENSET);
      io0.writel(PMCR.E, REG.PMCR);
      clock.advance(1000);
      expect([io0.readl(REG.PMEVCNTR), io0.readl(REG.PMEVCNTR + 4), io0.readl(REG.PMEVCNTR + 4 * 31)]).to.deep.equal([0, 200, 500]);
    });

    it('resolves a rate only when what selects it changed: reads and writes of equal or unread values reuse it', () => {
      const workload = new Workload(spec);
      let resolutions = 0;
      const resolve = workload.resolve.bind(workload);
      workload.resolve = (s) => {
        resolutions++;
        return resolve(s);
      };
      const r = rig({}, workload);
      r.io0.writel(0x11, REG.PMEVTYPER);
      r.io0.writel(0x1, REG.PMCNTENSET);
      r.io0.writel(PMCR.E, REG.PMCR);
      const after = resolutions;
      const lookups = r.dev.rateLookups;
      for (let i = 0; i < 100; i++) {
        r.clock.advance(10);
        r.io0.readl(REG.PMEVCNTR);
      }
      r.io0.writel(0, IMPDEF(0)); // the value it already holds
      r.io0.writel(5, IMPDEF(7)); // a word no stream reads
      r.io0.writel(0x1, REG.PMCNTENCLR);
      r.io0.writel(0x1, REG.PMCNTENSET); // the same selection again
      expect([resolutions - after, r.dev.rateLookups - lookups]).to.deep.equal([0, 0]);
      r.io0.writel(2, IMPDEF(0));
      expect([resolutions - after, r.dev.rateLookups - lookups]).to.deep.equal([1, 1]);
      expect(r.io0.readl(REG.PMEVCNTR)).to.equal(1000);
    });
  });
});
