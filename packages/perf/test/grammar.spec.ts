import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeFormat,
  describePmus,
  encodeFormat,
  EventGrammar,
  EventParseError,
  formatText,
  parseFormat,
  type AttributeGroup,
} from '../src/index.js';
import { perfRig, TestPmu } from './helpers.js';

/** A PMU with NVIDIA-like formats, non-contiguous fields and named events. */
const GROUPS: AttributeGroup[] = [
  { name: 'format', attrs: [
    ['event', 'config:0-32'],
    ['root_port', 'config1:0-9'],
    ['filter', 'config1:0-31'],
    ['filter2', 'config2:0-31'],
    ['split', 'config2:1,5-7,40'],
    ['hi', 'config:33-35,48'],
  ].map(([name, text]) => ({ name: name!, show: () => `${text}\n` })) },
  { name: 'events', attrs: [
    ['cmem_rd_data', 'event=0x1a5'],
    ['cycles', 'event=0x100000000'],
    ['bytes', 'event=0x2,root_port=0x3'],
    ['cmem_rd_data.scale', '32'],
    ['cmem_rd_data.unit', 'Bytes'],
  ].map(([name, text]) => ({ name: name!, show: () => `${text}\n` })) },
  { attrs: [{ name: 'cpumask', show: () => '0\n' }] },
];

function grammarRig() {
  const rig = perfRig();
  const mk = (name: string) => {
    const p = new TestPmu(rig.clock, 4);
    (p as { attrGroups: AttributeGroup[] }).attrGroups = GROUPS;
    rig.core.register(p, name);
  };
  mk('nv_pcie_pmu_0');
  mk('nv_pcie_pmu_1');
  const pmus = describePmus(rig.core);
  return { ...rig, pmus, grammar: new EventGrammar(pmus) };
}

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

  it('refuses a value too big for its format with the maximum', () => {
    const f = parseFormat('root_port', 'config1:0-9');
    expect(() => encodeFormat(f, 1024n)).to.throw('value too big for format (root_port), maximum is 1023');
  });

  it('refuses malformed format files', () => {
    expect(() => parseFormat('x', 'config4:0-3')).to.throw('is not CONFIG:BITS');
    expect(() => parseFormat('x', 'config:9-3')).to.throw('out of 0-63 or reversed');
    expect(() => parseFormat('x', 'config:0-64')).to.throw('out of 0-63');
  });
});

describe('Event grammar', () => {
  const { grammar } = grammarRig();

  it('parses terms, named events, decimal (010 is ten) and hex values', () => {
    const [e] = grammar.parse('nv_pcie_pmu_0/cmem_rd_data,root_port=0x3,filter2=010/');
    expect(e!.attr).to.deep.include({ type: 7, config: 0x1a5n, config1: 0x3n, config2: 10n, config3: 0n });
    expect(e!.display).to.equal('nv_pcie_pmu_0/cmem_rd_data,root_port=0x3,filter2=010/');
    const [b] = grammar.parse('nv_pcie_pmu_0/bytes/');
    expect(b!.attr).to.deep.include({ config: 0x2n, config1: 0x3n });
    const [bare] = grammar.parse('nv_pcie_pmu_0/event/');
    expect(bare!.attr.config).to.equal(1n);
  });

  it('expands a PMU prefix and a glob to every instance', () => {
    expect(grammar.parse('nv_pcie_pmu/event=0x5/').map((e) => [e.pmu, e.attr.type, e.display])).to.deep.equal([
      ['nv_pcie_pmu_0', 7, 'nv_pcie_pmu_0/event=0x5/'],
      ['nv_pcie_pmu_1', 8, 'nv_pcie_pmu_1/event=0x5/'],
    ]);
    expect(grammar.parse('nv_*_1/cycles/').map((e) => e.pmu)).to.deep.equal(['nv_pcie_pmu_1']);
  });

  it('parses groups with modifiers and sets exclude bits for u/k/h', () => {
    const evs = grammar.parse('{nv_pcie_pmu_0/event=1/,nv_pcie_pmu_0/event=2/}:u,cpu-clock');
    expect(evs.map((e) => [e.group, e.modifiers, e.attr.exclude_kernel ?? false])).to.deep.equal([
      [0, 'u', true],
      [0, 'u', true],
      [undefined, '', false],
    ]);
    expect(evs[2]!.attr).to.deep.include({ type: 1, config: 0n });
    expect(grammar.parse('r1a5')[0]!.attr).to.deep.include({ type: 4, config: 0x1a5n });
  });

  it('finds a named event by itself when only one PMU has it, and says where it is ambiguous', () => {
    const e = parseErr(grammar, 'cmem_rd_data');
    expect(e.message).to.contain("event 'cmem_rd_data' exists on 2 PMUs (nv_pcie_pmu_0, nv_pcie_pmu_1)");
  });

  it('reports errors with the column and the offending term', () => {
    const cases: [string, number, string, string][] = [
      ['nv_pcie_pmu_0/evnt=1/', 15, 'evnt', "unknown term 'evnt' for PMU 'nv_pcie_pmu_0'"],
      ['nv_pcie_pmu_0/event=1,root_port=1024/', 23, 'root_port=1024', 'value too big for format (root_port), maximum is 1023'],
      ['nv_pcie_pmu_0/event=0xg/', 15, 'event', "'0xg' is not a number"],
      ['nv_pcie_pmu_0/event=1/uu', 24, 'u', "modifier 'u' is given twice"],
      ['nv_pcie_pmu_0/event=1/q', 23, 'q', "unknown modifier 'q'"],
      ['nvidia_scf_pmu_0/event=1/', 1, 'nvidia_scf_pmu_0', "unknown PMU 'nvidia_scf_pmu_0'"],
      ['nv_pcie_pmu_0/event=1', 14, '/', 'never closed'],
      ['{nv_pcie_pmu_0/event=1/', 1, '{', 'never closed'],
      ['nv_pcie_pmu_0/event=1/,,cpu-clock', 24, ',', 'empty event'],
      ['nv_pcie_pmu_0/event=0x12345678901234567/', 15, 'event', 'not a number'],
    ];
    for (const [input, column, term, msg] of cases) {
      const e = parseErr(grammar, input);
      expect([e.column, e.term], input).to.deep.equal([column, term]);
      expect(e.message, input).to.contain(msg);
      expect(e.code).to.equal('EINVAL');
    }
  });
});

/** Run the real perf against an exported tree; null when perf or a private mount namespace is unavailable. */
function realPerf(dir: string, event: string): { type: number; config: bigint; config1: bigint; config2: bigint }[] | null {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount --bind "$1" /sys/bus/event_source/devices && exec perf stat -vv -e "$2" true`, 'sh', dir, event], {
    encoding: 'utf8',
    timeout: 20000,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || !out.includes('perf_event_attr:')) return null;
  // perf retries a failed open with the same attr while probing for missing features: keep distinct attrs.
  const blocks = out.split('perf_event_attr:').slice(1);
  const seen = new Set<string>();
  return blocks.map((b) => {
    const body = b.split('-----')[0]!;
    const field = (re: RegExp) => {
      const m = re.exec(body);
      return m ? BigInt(m[1]!) : 0n;
    };
    return {
      type: Number(field(/^\s*type\s+(\d+)/m)),
      config: field(/^\s*config\s+(0x[0-9a-f]+|\d+)/m),
      config1: field(/config1 \}\s+(0x[0-9a-f]+|\d+)/m),
      config2: field(/config2 \}\s+(0x[0-9a-f]+|\d+)/m),
    };
  }).filter((a) => {
    const k = `${a.type}/${a.config}/${a.config1}/${a.config2}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

function perfAvailable(): string | undefined {
  for (const tool of ['perf', 'unshare']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${tool} is not installed`;
  }
  const probe = spawnSync('unshare', ['-m', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare -m is not permitted here (${(probe.stderr || '').trim()})`;
  return undefined;
}

describe('Agreement with the real perf tool', function () {
  this.timeout(120000);
  const EVENTS = [
    'nv_pcie_pmu_0/event=0x1a5/',
    'nv_pcie_pmu_0/event=421/',
    'nv_pcie_pmu_0/event=010/',
    'nv_pcie_pmu_0/cmem_rd_data/',
    'nv_pcie_pmu_0/cmem_rd_data,root_port=0x3/',
    'nv_pcie_pmu_0/event=0x0,root_port=1023/',
    'nv_pcie_pmu_0/split=9/',
    'nv_pcie_pmu_0/split=31/',
    'nv_pcie_pmu_0/hi=0xf/',
    'nv_pcie_pmu_0/hi=5,event=7/',
    'nv_pcie_pmu_0/config=0x123456789/',
    'nv_pcie_pmu_0/config1=0xdeadbeef,config2=0x5/',
    'nv_pcie_pmu_0/event=0x100000000/',
    'nv_pcie_pmu_0/cycles/',
    'nv_pcie_pmu_0/filter=0xffffffff/',
    'nv_pcie_pmu_0/filter2=0x80000001/',
    'nv_pcie_pmu_0/event=0x1,filter=0x2,filter2=0x3/',
    'nv_pcie_pmu_0/bytes/',
    'nv_pcie_pmu_0/event/',
    'nv_pcie_pmu_1/event=0x5,split=0x1f/',
    'nv_pcie_pmu/event=0x5/',
    'nv_pcie_pmu_0/config=0xffffffffffffffff/',
    'nv_pcie_pmu_0/event=0x1a5,config1=0x7/',
  ];

  it(`encodes ${EVENTS.length} event strings exactly as perf does`, async function () {
    const why = perfAvailable();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    const { core, grammar } = grammarRig();
    const dir = mkdtempSync(join(tmpdir(), 'cspmu-sysfs-'));
    await core.exportSysfs(dir);
    let compared = 0;
    for (const ev of EVENTS) {
      const theirs = realPerf(dir, ev);
      if (theirs === null) {
        console.log(`      skipped: perf printed no perf_event_attr for ${ev}`);
        this.skip();
      }
      const ours = grammar.parse(ev).map((e) => ({ type: e.attr.type, config: e.attr.config, config1: e.attr.config1 ?? 0n, config2: e.attr.config2 ?? 0n }));
      const key = (x: { type: number }) => x.type;
      expect(ours.sort((a, b) => key(a) - key(b)), ev).to.deep.equal(theirs!.sort((a, b) => key(a) - key(b)));
      compared++;
    }
    expect(compared).to.equal(EVENTS.length);
  });
});

