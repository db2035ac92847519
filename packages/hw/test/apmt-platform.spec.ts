import { expect } from 'chai';
import { createKernel, KernelError } from '@cspmu/kernel';
import { MmioBus } from '@cspmu/mmio';
import {
  apmtHid,
  apmtNodesOf,
  BUILTIN_PLATFORMS,
  buildApmt,
  decodeApmt,
  describeApmt,
  GRACE_PLATFORM,
  Hardware,
  loadPlatform,
  loadWorkload,
  parseApmt,
} from '../src/index.js';

function graceApmt(): Uint8Array {
  return buildApmt(apmtNodesOf(loadPlatform(GRACE_PLATFORM)));
}

function fixChecksum(b: Uint8Array): Uint8Array {
  b[9] = 0;
  let sum = 0;
  for (const x of b) sum = (sum + x) & 0xff;
  b[9] = (0x100 - sum) & 0xff;
  return b;
}

describe('APMT', () => {
  for (const [name, spec] of Object.entries(BUILTIN_PLATFORMS)) {
    it(`build then parse is the identity for ${name}`, () => {
      const nodes = apmtNodesOf(loadPlatform(spec));
      const bytes = buildApmt(nodes);
      const { table, violations } = parseApmt(bytes);
      expect(violations).to.deep.equal([]);
      expect(table!.nodes.map(({ length, reserved, ...n }) => n)).to.deep.equal(nodes);
      expect(table!.nodes.every((n) => n.length === 56 && n.reserved === 0)).to.equal(true);
      expect(table!.header).to.include({ signature: 'APMT', length: 36 + 56 * nodes.length, oemTableId: 'EMULATED' });
      expect(buildApmt(table!.nodes)).to.deep.equal(bytes);
    });
  }

  it('decodes ACPI-type _HIDs and describes the table', () => {
    const t = decodeApmt(graceApmt());
    expect(t.nodes).to.have.length(10);
    expect(apmtHid(t.nodes[1]!)).to.equal('NVDA2001');
    expect(describeApmt(t).split('\n')[2]).to.equal(
      '  node 1: id 1 type acpi hid=NVDA2001 uid=0 base0=0x1000010000 single-page atomic64 affinity container 0 irq 513 level',
    );
  });

  it('reports a bad checksum', () => {
    const b = graceApmt();
    b[9] ^= 0xff;
    expect(parseApmt(b).violations.map((v) => v.code)).to.deep.equal(['APMT_CHECKSUM']);
  });

  it('reports a table shorter than its header and a header length beyond the data', () => {
    expect(parseApmt(new Uint8Array(20)).violations.map((v) => v.code)).to.deep.equal(['APMT_SHORT']);
    const b = graceApmt().slice(0, 36 + 56 * 3);
    const v = parseApmt(fixChecksum(b)).violations;
    expect(v.map((x) => x.code)).to.deep.equal(['APMT_LENGTH']);
    expect(v[0]!.message).to.contain('header length 596 does not fit the 204-byte table');
  });

  it('reports a node whose length is not 56, with its index', () => {
    const b = graceApmt();
    b[36 + 56 * 2] = 60;
    const v = parseApmt(fixChecksum(b)).violations;
    expect(v[0]).to.deep.include({ code: 'APMT_NODE_LENGTH', node: 2, field: 'length', message: 'node length is 60, must be 56' });
  });

  it('reports reserved bits in flags and interrupt flags, and a non-zero reserved field', () => {
    const b = graceApmt();
    b[36 + 2] |= 0x10;
    b[36 + 56 + 44] |= 0x2;
    b[36 + 56 * 4 + 40] = 1;
    const v = parseApmt(fixChecksum(b)).violations;
    expect(v.map((x) => [x.code, x.node, x.field])).to.deep.equal([
      ['APMT_RESERVED_BITS', 0, 'flags'],
      ['APMT_RESERVED_BITS', 1, 'ovflw_irq_flags'],
      ['APMT_RESERVED_FIELD', 4, 'reserved'],
    ]);
  });

  it('reports an unknown node type', () => {
    const b = graceApmt();
    b[36 + 56 * 3 + 3] = 7;
    const v = parseApmt(fixChecksum(b)).violations;
    expect(v.map((x) => [x.code, x.node])).to.deep.equal([['APMT_NODE_TYPE', 3]]);
    expect(v[0]!.message).to.contain('node type 7 is reserved');
  });

  it('lists every violation at once, as fwts does', () => {
    const b = graceApmt();
    b[36 + 3] = 9;
    b[36 + 56 + 2] |= 0x80;
    b[36 + 56 * 5 + 4] = 1; // id 17 -> duplicates node 6? (id 16 | 1 = 17)
    const { violations } = parseApmt(b);
    expect(violations.map((x) => x.code)).to.deep.equal(['APMT_CHECKSUM', 'APMT_NODE_TYPE', 'APMT_RESERVED_BITS', 'APMT_DUPLICATE_ID']);
    expect(() => decodeApmt(b)).to.throw(KernelError, /APMT is invalid \(4 problem\(s\)\): header.checksum: .* node 0 type: node type 9 is reserved/);
  });

  it('checks per-type instance rules and bases', () => {
    const nodes = apmtNodesOf(loadPlatform(GRACE_PLATFORM));
    const bad = [{ ...nodes[1]!, instPrimary: 0x01n }, { ...nodes[4]!, instPrimary: 0x10000n }, { ...nodes[0]!, id: 99, baseAddress0: 0x1234 }];
    const v = parseApmt(buildApmt(bad)).violations;
    expect(v.map((x) => [x.code, x.node, x.field])).to.deep.equal([
      ['APMT_INSTANCE', 0, 'inst_primary'],
      ['APMT_INSTANCE', 1, 'inst_primary'],
      ['APMT_BASE_ADDRESS', 2, 'base_address0'],
    ]);
  });
});

describe('Platform descriptions', () => {
  // A mutable deep copy, so a test can break it field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const base = (): { pmus: any[] } & Record<string, unknown> => JSON.parse(JSON.stringify(BUILTIN_PLATFORMS['arm-generic']));

  it('loads every built-in platform and its workload', () => {
    for (const spec of Object.values(BUILTIN_PLATFORMS)) {
      const p = loadPlatform(spec);
      expect(p.pmus.length).to.be.greaterThan(0);
      loadWorkload(p.workload);
    }
    const grace = loadPlatform(GRACE_PLATFORM);
    expect(grace.topology.nodeOfCpu).to.have.length(144);
    expect(grace.pmus.map((d) => d.label)).to.deep.equal([
      'scf0', 'nvlink_c2c0_0', 'nvlink_c2c1_0', 'cnvlink0', 'pcie0', 'scf1', 'nvlink_c2c0_1', 'nvlink_c2c1_1', 'cnvlink1', 'pcie1',
    ]);
  });

  it('names every schema violation with its field', () => {
    const spec = base();
    spec.pmus[0]!.counters = 'nine';
    spec.pmus[1]!.colour = 'blue';
    delete spec.pmus[2]!.clockHz;
    expect(() => loadPlatform(spec)).to.throw(
      KernelError,
      "platform 'arm-generic': pmus.0.counters: must be integer; pmus.1: unknown field 'colour'; pmus.2: missing field 'clockHz'",
    );
  });

  it('refuses overlapping bases naming both devices', () => {
    const spec = base();
    spec.pmus[1]!.base0 = spec.pmus[0]!.base0;
    expect(() => loadPlatform(spec)).to.throw(KernelError, 'pmus.1 (smmu0).base0: page 0x50000000 overlaps mc0 base0');
  });

  it('refuses impossible counter counts and widths', () => {
    const spec = base();
    spec.pmus[0]!.counters = 0;
    spec.pmus[2]!.counters = 200;
    spec.pmus[3]!.counterBits = 65;
    expect(() => loadPlatform(spec)).to.throw(KernelError, /pmus.0 \(mc0\).counters: 0 is impossible.*pmus.2 \(pcie0\).counters: 200 is impossible; counters wider than 32 bits allow 1 to 128.*pmus.3 \(acpi0\).counterBits: 65 is impossible/);
  });

  it('refuses duplicate labels and ids, a dual page without base1, and a bad affinity', () => {
    const spec = base();
    spec.pmus[1]!.label = 'mc0';
    spec.pmus[2]!.id = 0;
    delete spec.pmus[2]!.base1;
    spec.pmus[3]!.affinity = { processor: 99 };
    expect(() => loadPlatform(spec)).to.throw(KernelError, /label: 'mc0' is already used by pmus.0.*id: 0 is already used by mc0.*base1: a dual-page PMU needs base1.*affinity.processor: no CPU with ACPI UID 99/);
  });

  it('builds hardware whole or not at all', () => {
    const { kernel } = createKernel();
    const bus = new MmioBus(kernel);
    const p = loadPlatform(BUILTIN_PLATFORMS['arm-generic']);
    const blocker = { name: 'x', check: () => undefined, read: () => 0, write: () => undefined, read64: () => undefined, write64: () => undefined };
    bus.map.map(0x50040000, 0x1000, blocker, 'squatter');
    expect(() => new Hardware(p, loadWorkload(p.workload), { clock: kernel.clock, irqs: kernel.irqs, map: bus.map })).to.throw(KernelError, 'overlaps squatter');
    expect(bus.map.all().map((r) => r.owner)).to.deep.equal(['squatter']);
  });

  it('refuses a bad workload naming the field', () => {
    expect(() => loadWorkload({ name: 'w', phases: [{ durationNs: 0, streams: [] }] })).to.throw(KernelError, 'phases.0.durationNs: must be >= 1');
    expect(() => loadWorkload({ name: 'w', phases: [{ durationNs: 5, streams: [{ pmu: 'x', event: 1 }] }] })).to.throw(KernelError, "give exactly one of 'rate' or 'ports'");
    expect(() => loadWorkload('nope')).to.throw(KernelError, "no built-in workload 'nope'");
  });
});
