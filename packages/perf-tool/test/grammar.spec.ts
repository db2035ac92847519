// Tests of the format codec and the event grammar: terms, PMU prefixes and globs, groups and modifiers, and what perf 6.1 refuses.
import { expect } from 'chai';
import { decodeFormat, type EventGrammar, EventParseError, encodeFormat, formatMax, formatText, parseFormat } from '../src/index.js';
import { testGrammar } from './helpers.js';

function parseErr(g: EventGrammar, s: string): EventParseError {
  try {
    g.parse(s);
  } catch (e) {
    expect(e).to.be.instanceOf(EventParseError);
    return e as EventParseError;
  }
  throw new Error(`'${s}' parsed`);
}

describe('Format codec', () => {
  it('parses ranges and singles and fills values from the lowest bit up', () => {
    const f = parseFormat('split', 'config2:1,5-7,40');
    expect(f.bits).to.deep.equal([1, 5, 6, 7, 40]);
    expect(encodeFormat(f, 9n)).to.equal(0x82n);
    expect(encodeFormat(f, 31n)).to.equal((1n << 40n) | 0xe2n);
    expect(decodeFormat(f, 0x82n)).to.equal(9n);
    expect(formatText('config1', [0, 1, 2, 5, 7, 8])).to.equal('config1:0-2,5,7-8');
  });

  it('lists each bit once, lowest first, whatever order, overlap or repeats the file has (across bit 31/32 and up to 63)', () => {
    expect(parseFormat('o', 'config:40,3-5,4,31-33,63,0,33').bits).to.deep.equal([0, 3, 4, 5, 31, 32, 33, 40, 63]);
    expect(parseFormat('all', 'config1:0-63').bits).to.deep.equal(Array.from({ length: 64 }, (_, i) => i));
  });

  it('encodes every value of a split field as placing its bits one by one would, and a whole 64-bit field as the value itself', () => {
    const f = parseFormat('split', 'config1:0,2-4,9-10,31-33,63');
    const oneByOne = (v: bigint) => f.bits.reduce((w, b, i) => ((v >> BigInt(i)) & 1n ? w | (1n << BigInt(b)) : w), 0n);
    for (let v = 0n; v <= formatMax(f); v += 1n) {
      const w = encodeFormat(f, v);
      expect(w, `value ${v}`).to.equal(oneByOne(v));
      expect(decodeFormat(f, w), `value ${v}`).to.equal(v);
    }
    const whole = parseFormat('whole', 'config:0-63');
    expect(encodeFormat(whole, (1n << 64n) - 1n)).to.equal((1n << 64n) - 1n);
    expect(encodeFormat(whole, 0x8000_0000_0000_0001n)).to.equal(0x8000_0000_0000_0001n);
  });

  it('refuses a value too big for its format with the maximum', () => {
    const f = parseFormat('root_port', 'config1:0-9');
    expect(() => encodeFormat(f, 1024n)).to.throw('value too big for format (root_port), maximum is 1023');
  });

  it('refuses a negative value (EINVAL) instead of taking its low bits', () => {
    const f = parseFormat('e', 'config:0-7');
    expect(() => encodeFormat(f, -1n))
      .to.throw('value -1 is negative: format (e) takes 0 to 255')
      .with.property('code', 'EINVAL');
    expect(encodeFormat(f, 0n)).to.equal(0n);
  });

  it('refuses malformed format files', () => {
    expect(() => parseFormat('x', 'config4:0-3')).to.throw('is not CONFIG:BITS');
    expect(() => parseFormat('x', 'config:9-3')).to.throw('out of 0-63 or reversed');
    expect(() => parseFormat('x', 'config:0-64')).to.throw('out of 0-63');
  });
});

describe('Event grammar', () => {
  const grammar = testGrammar();

  it('parses terms, named events, decimal (010 is ten) and hex values', () => {
    const [e] = grammar.parse('nv_pcie_pmu_0/cmem_rd_data,root_port=0x3,filter2=010/');
    expect(e!.attr).to.deep.include({ type: 7, config: 0x1a5n, config1: 0x3n, config2: 10n, config3: 0n });
    expect(e!.display).to.equal('nv_pcie_pmu_0/cmem_rd_data,root_port=0x3,filter2=010/');
    expect(grammar.parse('nv_pcie_pmu_0/bytes/')[0]!.attr).to.deep.include({ config: 0x2n, config1: 0x3n });
    expect(grammar.parse('nv_pcie_pmu_0/event/')[0]!.attr.config).to.equal(1n);
  });

  it('expands a PMU prefix and a glob to every instance, keeping the name as written for merging', () => {
    expect(grammar.parse('nv_pcie_pmu/event=0x5/').map((e) => [e.pmu, e.attr.type, e.display, e.autoMerge])).to.deep.equal([
      ['nv_pcie_pmu_0', 7, 'nv_pcie_pmu/event=0x5/', true],
      ['nv_pcie_pmu_1', 8, 'nv_pcie_pmu/event=0x5/', true],
    ]);
    expect(grammar.parse('nv_*_1/cycles/').map((e) => e.pmu)).to.deep.equal(['nv_pcie_pmu_1']);
    expect(grammar.parse('nv_pcie_pmu_0/cycles/')[0]!.autoMerge).to.equal(false);
  });

  it('opens a bare event name on every PMU that has it', () => {
    expect(grammar.parse('cmem_rd_data').map((e) => [e.pmu, e.display, e.attr.config, e.autoMerge])).to.deep.equal([
      ['nv_pcie_pmu_0', 'cmem_rd_data', 0x1a5n, true],
      ['nv_pcie_pmu_1', 'cmem_rd_data', 0x1a5n, true],
    ]);
  });

  it('parses groups with modifiers as perf computes the exclude bits', () => {
    const evs = grammar.parse('{nv_pcie_pmu_0/event=1/,nv_pcie_pmu_0/event=2/}:u,cpu-clock');
    expect(evs.map((e) => [e.group, e.modifiers, e.attr.exclude_kernel ?? false, e.attr.exclude_guest ?? false])).to.deep.equal([
      [0, 'u', true, true],
      [0, 'u', true, true],
      [undefined, '', false, true],
    ]);
    expect(evs[2]!.attr).to.deep.include({ type: 1, config: 0n });
    expect(grammar.parse('r1a5')[0]!.attr).to.deep.include({ type: 4, config: 0x1a5n });
    expect(grammar.parse('cycles:k')[0]!.attr).to.deep.include({ type: 0, config: 0n, exclude_user: true, exclude_hv: true });
    expect(grammar.parse('cycles:k')[0]!.attr.exclude_guest).to.equal(undefined);
    const [g] = grammar.parse('{task-clock:G,cpu-clock}:u');
    expect(g!.attr).to.deep.include({ exclude_kernel: true, exclude_hv: true, exclude_host: true });
    expect(g!.attr.exclude_guest).to.equal(undefined);
    expect(grammar.parse('task-clock:ppp')[0]!.precise).to.equal(3);
  });

  it('ORs a repeated format term and adds format terms on top of config=, as perf does', () => {
    expect(grammar.parse('nv_pcie_pmu_0/event=1,event=2/')[0]!.attr.config).to.equal(3n);
    expect(grammar.parse('nv_pcie_pmu_0/cycles,event=1/')[0]!.attr.config).to.equal(0x100000001n);
    expect(grammar.parse('nv_pcie_pmu_0/event=1,config=0x10/')[0]!.attr.config).to.equal(0x11n);
    expect(grammar.parse('nv_pcie_pmu_0/event=0x00000000000000001/')[0]!.attr.config).to.equal(1n);
    expect(grammar.parse('nv_pcie_pmu_0/event=1,period=18446744073709551615/')[0]!.period).to.equal(18446744073709551615n);
    expect(grammar.parse('nv_pcie_pmu_0/event=1,period=9007199254740993/')[0]!.period).to.equal(9007199254740993n);
    expect(grammar.parse('nv_pcie_pmu_0/cycles,name=foo/')[0]).to.deep.include({ display: 'foo', configName: true });
  });

  it('refuses what perf 6.1 refuses, with the column and the offending term', () => {
    const cases: [string, number, string, string][] = [
      ['nv_pcie_pmu_0/evnt=1/', 15, 'evnt', "unknown term 'evnt' for PMU 'nv_pcie_pmu_0'"],
      ['nv_pcie_pmu_0/event=1,root_port=1024/', 23, 'root_port=1024', 'value too big for format (root_port), maximum is 1023'],
      ['nv_pcie_pmu_0/event=0xg/', 15, 'event', "'0xg' is not a number"],
      ['nv_pcie_pmu_0/event=0X1F/', 15, 'event', "'0X1F' is not a number"],
      ['nv_pcie_pmu_0/event=1/uu', 24, 'u', "modifier 'u' is given twice"],
      ['nv_pcie_pmu_0/event=1/q', 23, 'q', "unknown modifier 'q'"],
      ['nv_pcie_pmu_0/event=1/R', 23, 'R', "unknown modifier 'R'"],
      ['nv_pcie_pmu_0/cycles/ukhpPGHSDIWebR', 35, 'R', "unknown modifier 'R'"],
      ['task-clock:pppp', 15, 'p', 'at most three p'],
      ['nv_pcie_pmu_0/cycles/:u', 22, ':', "without ':'"],
      ['nv_pcie_pmu_0/cycles,cycles/', 22, 'cycles', 'only one named event per term list'],
      ['nv_pcie_pmu_0/cycles,cmem_rd_data/', 22, 'cmem_rd_data', 'only one named event per term list'],
      ['nv_pcie_pmu_0/config=0x10000000000000000/', 15, 'config', 'does not fit in 64 bits'],
      ['nv_pcie_pmu_0/event=1,period=18446744073709551616/', 23, 'period', 'does not fit in 64 bits'],
      [`nv_pcie_pmu_0/event=1,period=${'9'.repeat(400)}/`, 23, 'period', 'does not fit in 64 bits'],
      ['nv_pcie_pmu_0/event=9007199254740993/', 15, 'event=9007199254740993', 'value too big for format (event)'],
      ['nv_pcie_pmu_0/config3=1/', 15, 'config3', "unknown term 'config3'"],
      ['nvidia_scf_pmu_0/event=1/', 1, 'nvidia_scf_pmu_0', "unknown PMU 'nvidia_scf_pmu_0'"],
      ['nv_pcie_pmu_0/event=1', 14, '/', 'never closed'],
      ['{nv_pcie_pmu_0/event=1/', 1, '{', 'never closed'],
      ['nv_pcie_pmu_0/event=1/,,cpu-clock', 24, ',', 'empty event'],
      ['nosuch', 1, 'nosuch', "unknown event 'nosuch'"],
    ];
    for (const [input, column, term, msg] of cases) {
      const e = parseErr(grammar, input);
      expect([e.column, e.term], input).to.deep.equal([column, term]);
      expect(e.message, input).to.contain(msg);
      expect(e.code).to.equal('EINVAL');
    }
  });
});
