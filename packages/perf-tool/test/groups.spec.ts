// Tests that settleGroups groups an event list as perf stat 6.1 does: uncore aliases split per PMU, groups over differing CPUs broken up with perf's warning.
import { expect } from 'chai';
import { EventGrammar, type ParsedEvent, type PmuDescription, settleGroups } from '../src/index.js';
import { testPmus } from './helpers.js';

/** nv_pcie_pmu_0 counts on CPU 0, nv_pcie_pmu_1 on CPU 72; an `other_pmu_0` of another uncore block has cmem_rd_data too, on CPU 0. */
const CPUS: Record<string, number[]> = { nv_pcie_pmu_0: [0], nv_pcie_pmu_1: [72], other_pmu_0: [0], software: [-1] };
const cpusOf = (p: ParsedEvent) => CPUS[p.pmu] ?? [0, 1];

function settle(text: string, pmus: PmuDescription[] = testPmus()) {
  const s = settleGroups(new EventGrammar(pmus).parse(text), cpusOf);
  return { groups: s.list.map((p) => `${p.display}@${p.pmu}:${p.group ?? '-'}`), warning: s.warning, list: s.list };
}

describe('settleGroups: the groups perf stat 6.1 opens', () => {
  it('splits a group of bare event names per PMU, the first copies leading and later events joining them in turn, listed group by group, with no warning', () => {
    const s = settle('{cmem_rd_data,bytes}');
    expect(s.groups).to.deep.equal(['cmem_rd_data@nv_pcie_pmu_0:0', 'bytes@nv_pcie_pmu_0:0', 'cmem_rd_data@nv_pcie_pmu_1:1', 'bytes@nv_pcie_pmu_1:1']);
    expect(s.warning).to.equal('');
    expect(s.list.every((p) => p.groupSettled)).to.equal(true);
  });

  it('leaves the copies of a lone bare event name ungrouped', () => {
    expect(settle('{cmem_rd_data}').groups).to.deep.equal(['cmem_rd_data@nv_pcie_pmu_0:-', 'cmem_rd_data@nv_pcie_pmu_1:-']);
  });

  it('keeps a group of one written event a group', () => {
    expect(settle('{nv_pcie_pmu_1/cycles/}').groups).to.deep.equal(['nv_pcie_pmu_1/cycles/@nv_pcie_pmu_1:0']);
  });

  it('does not split a group holding a PMU wildcard: its CPUs differ, so the whole group is broken up with the warning', () => {
    const s = settle('{nv_pcie_pmu/cycles/,cmem_rd_data}');
    expect(s.groups).to.deep.equal([
      'nv_pcie_pmu/cycles/@nv_pcie_pmu_0:-',
      'nv_pcie_pmu/cycles/@nv_pcie_pmu_1:-',
      'cmem_rd_data@nv_pcie_pmu_0:-',
      'cmem_rd_data@nv_pcie_pmu_1:-',
    ]);
    expect(s.warning).to.equal(
      'WARNING: grouped events cpus do not match, disabling group:\n  anon group { nv_pcie_pmu/cycles/, nv_pcie_pmu/cycles/, cmem_rd_data, cmem_rd_data }\n',
    );
  });

  it('does not split bare names of different uncore blocks', () => {
    const other: PmuDescription = {
      name: 'other_pmu_0',
      type: 9,
      formats: new Map([['event', 'config:0-32']]),
      events: new Map([['cmem_rd_data', 'event=0x1a5']]),
    };
    const s = settle('{cmem_rd_data}', [testPmus()[0]!, other]);
    // nv_pcie_pmu_0 and other_pmu_0 both count on CPU 0: one group across two PMUs, as perf opens it (the kernel then refuses the member).
    expect(s.groups).to.deep.equal(['cmem_rd_data@nv_pcie_pmu_0:0', 'cmem_rd_data@other_pmu_0:0']);
    expect(s.warning).to.equal('');
  });

  it('prints the warning line once, then one description per broken group, named groups by their name; matching groups keep their order', () => {
    const s = settle(
      '{nv_pcie_pmu_0/cycles/,nv_pcie_pmu_1/cycles/},{nv_pcie_pmu_1/cycles/,nv_pcie_pmu_1/cmem_rd_data/},g1{nv_pcie_pmu_1/cycles/,nv_pcie_pmu_0/cycles/}',
    );
    expect(s.warning).to.equal(
      [
        'WARNING: grouped events cpus do not match, disabling group:',
        '  anon group { nv_pcie_pmu_0/cycles/, nv_pcie_pmu_1/cycles/ }',
        '  g1 { nv_pcie_pmu_1/cycles/, nv_pcie_pmu_0/cycles/ }',
        '',
      ].join('\n'),
    );
    expect(s.groups.map((g) => g.split(':')[1])).to.deep.equal(['-', '-', '0', '0', '-', '-']);
    expect(s.list[4]!.groupName).to.equal('g1');
  });

  it('prints a description of a few hundred characters whole and cuts one at 1,023, as perf 6.1 fills its 1,024-byte buffer', () => {
    const events = (n: number) => Array.from({ length: n }, (_, i) => `nv_pcie_pmu_${i % 2}/cycles/`).join(',');
    const whole = settle(`{${events(12)}}`).warning.split('\n')[1]!;
    expect(whole).to.equal(`  anon group { ${events(12).split(',').join(', ')} }`);
    const cut = settle(`{${events(60)}}`).warning.split('\n')[1]!;
    expect(cut).to.have.length(2 + 1023);
    expect(cut).to.match(/^ {2}anon group \{ nv_pcie_pmu_0\/cycles\/, nv_pcie_pmu_1\/cycles\/, /);
  });
});
