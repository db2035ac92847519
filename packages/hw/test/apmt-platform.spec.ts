// Tests of APMT decoding and building, of malformed tables, and of platform files and their checks.
import { createKernel, KernelError } from '@cspmu/kernel';
import { MmioBus } from '@cspmu/mmio';
import { expect } from 'chai';
import {
  type ApmtNode,
  apmtHid,
  apmtNodesOf,
  BUILTIN_PLATFORMS,
  buildApmt,
  decodeApmt,
  describeApmt,
  failuresOf,
  GRACE_PLATFORM,
  Hardware,
  hidToInstPrimary,
  loadPlatform,
  loadWorkload,
  parseApmt,
} from '../src/index.js';
import { fixChecksum, graceApmt } from './helpers.js';

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

  it('reports a table shorter than its header and a header length beyond the data', () => {
    expect(parseApmt(new Uint8Array(20)).violations.map((v) => v.code)).to.deep.equal(['APMT_SHORT']);
    const b = graceApmt().slice(0, 36 + 56 * 3);
    const v = parseApmt(fixChecksum(b)).violations;
    expect(v.map((x) => x.code)).to.deep.equal(['APMT_LENGTH']);
    expect(v[0]!.message).to.contain('header length 596 does not fit the 204-byte table');
  });

  const codes = (b: Uint8Array) => parseApmt(b).violations.map((x) => [x.severity, x.code, x.node, x.field]);
  const at = (node: number, off: number) => 36 + 56 * node + off;

  it('reports a node whose length is not 56 as a warning, reading the next node where the length says', () => {
    const b = graceApmt();
    b[at(2, 0)] = 60;
    const v = parseApmt(fixChecksum(b)).violations;
    expect(v[0]).to.deep.include({ severity: 'warning', code: 'APMT_NODE_SIZE', node: 2, field: 'length' });
    expect(v[0]!.message).to.contain('node length is 60, must be 56');
  });

  describe("fwts's rules, each a failure", () => {
    it('length 0: fails and stops walking', () => {
      const b = graceApmt();
      b[at(3, 0)] = 0;
      b[at(5, 3)] = 9; // a later node that fwts never reaches
      expect(codes(fixChecksum(b))).to.deep.equal([['failure', 'APMT_NODE_LENGTH_ZERO', 3, 'length']]);
      expect(parseApmt(b).table!.nodes).to.have.length(3);
    });

    it('a node running past the end of the table: fails and stops walking', () => {
      const b = graceApmt();
      b[at(9, 0)] = 57;
      expect(codes(fixChecksum(b))).to.deep.equal([['failure', 'APMT_NODE_OUT_OF_RANGE', 9, 'length']]);
      expect(parseApmt(b).table!.nodes).to.have.length(9);
    });

    it('flags bits 3-7 are reserved', () => {
      for (const bit of [3, 4, 5, 6, 7]) {
        const b = graceApmt();
        b[at(0, 2)] |= 1 << bit;
        expect(codes(fixChecksum(b)), `bit ${bit}`).to.deep.equal([['failure', 'APMT_FLAGS_RESERVED', 0, 'flags']]);
      }
    });

    it('types 0, 1 and 2 need inst_secondary 0; type 3 has nothing to check; type 4 needs inst_primary 0', () => {
      const node = (type: number, instPrimary: bigint, instSecondary: number) => ({
        flags: 0,
        type,
        id: type,
        instPrimary,
        instSecondary,
        baseAddress0: 0x1000 * (type + 1),
        baseAddress1: 0,
        ovflwIrq: 0,
        ovflwIrqFlags: 0,
        procAffinity: 0,
        implId: 0,
      });
      const v = codes(buildApmt([node(0, 0n, 1), node(1, 0n, 2), node(2, 0n, 3), node(3, hidToInstPrimary('ABCD0001'), 9), node(4, 5n, 9)]));
      expect(v).to.deep.equal([
        ['failure', 'APMT_INST_SECONDARY', 0, 'inst_secondary'],
        ['failure', 'APMT_INST_SECONDARY', 1, 'inst_secondary'],
        ['failure', 'APMT_INST_SECONDARY', 2, 'inst_secondary'],
        ['failure', 'APMT_INST_PRIMARY', 4, 'inst_primary'],
      ]);
    });

    it('type 5 and above is unknown', () => {
      for (const type of [5, 7, 255]) {
        const b = graceApmt();
        b[at(3, 3)] = type;
        const v = parseApmt(fixChecksum(b)).violations;
        expect(v.map((x) => [x.severity, x.code, x.node])).to.deep.equal([['failure', 'APMT_NODE_TYPE', 3]]);
        expect(v[0]!.message).to.contain(`node type ${type} is unknown`);
      }
    });

    it('reserved1 must be 0', () => {
      const b = graceApmt();
      b[at(4, 40)] = 1;
      expect(codes(fixChecksum(b))).to.deep.equal([['failure', 'APMT_RESERVED1', 4, 'reserved']]);
    });

    it('overflow interrupt flags bits 1-31 are reserved', () => {
      for (const bit of [1, 8, 31]) {
        const b = graceApmt();
        new DataView(b.buffer).setUint32(at(1, 44), (1 << bit) >>> 0, true);
        expect(codes(fixChecksum(b)), `bit ${bit}`).to.deep.equal([['failure', 'APMT_IRQ_FLAGS_RESERVED', 1, 'ovflw_irq_flags']]);
      }
    });

    it('the table checksum (fwts checks it in its own test)', () => {
      const b = graceApmt();
      b[9] ^= 0xff;
      expect(codes(b)).to.deep.equal([['failure', 'APMT_CHECKSUM', undefined, 'header.checksum']]);
    });
  });

  describe("cspmu's checks beyond fwts, each a warning", () => {
    const mk = (over: Partial<Omit<ApmtNode, 'length' | 'reserved'>>[]) =>
      buildApmt(
        over.map((o, i) => ({
          flags: 0,
          type: 0,
          id: i,
          instPrimary: 0n,
          instSecondary: 0,
          baseAddress0: 0x10000 * (i + 1),
          baseAddress1: 0,
          ovflwIrq: 0,
          ovflwIrqFlags: 0,
          procAffinity: 0,
          implId: 0,
          ...o,
        })),
      );

    it('duplicate ids, a non-HID ACPI primary, base_address1 without DUAL_PAGE, overlapping pages', () => {
      const b = mk([
        { id: 7 },
        { id: 7 },
        { type: 3, instPrimary: 1n },
        { baseAddress1: 0x90000 },
        { baseAddress0: 0x10000 },
        { flags: 1, baseAddress1: 0x60000 },
      ]);
      expect(codes(b)).to.deep.equal([
        ['warning', 'APMT_DUPLICATE_ID', 1, 'id'],
        ['warning', 'APMT_ACPI_HID', 2, 'inst_primary'],
        ['warning', 'APMT_BASE1_IGNORED', 3, 'base_address1'],
        ['warning', 'APMT_PAGE_OVERLAP', 4, 'base_address0'],
        ['warning', 'APMT_PAGE_OVERLAP', 5, 'base_address1'],
      ]);
    });

    it('bases that are zero, unaligned or beyond 2^53, an id the kernel truncates, a wide inst_primary', () => {
      const b = mk([
        { baseAddress0: 0 },
        { baseAddress0: 0x12345 },
        { id: 0x80000009 },
        { type: 2, instPrimary: 0x10000n },
        { type: 1, instPrimary: 0x100000000n },
      ]);
      new DataView(b.buffer).setBigUint64(at(4, 20), 1n << 60n, true);
      expect(codes(fixChecksum(b))).to.deep.equal([
        ['warning', 'APMT_BASE_ZERO', 0, 'base_address0'],
        ['warning', 'APMT_BASE_ALIGN', 1, 'base_address0'],
        ['warning', 'APMT_ID_TRUNCATED', 2, 'id'],
        ['warning', 'APMT_INST_WIDTH', 3, 'inst_primary'],
        ['warning', 'APMT_BASE_RANGE', 4, 'base_address0'],
        ['warning', 'APMT_INST_WIDTH', 4, 'inst_primary'],
      ]);
    });
  });

  it('passes ACPICA-style template tables: ACPI-type nodes with numeric primaries and base_address1 without DUAL_PAGE', () => {
    const template = buildApmt([
      {
        flags: 0,
        type: 3,
        id: 0,
        instPrimary: 1n,
        instSecondary: 0,
        baseAddress0: 0x40000000,
        baseAddress1: 0x40001000,
        ovflwIrq: 0,
        ovflwIrqFlags: 0,
        procAffinity: 0,
        implId: 0,
      },
      {
        flags: 0,
        type: 3,
        id: 1,
        instPrimary: 2n,
        instSecondary: 0,
        baseAddress0: 0x40010000,
        baseAddress1: 0x40011000,
        ovflwIrq: 0,
        ovflwIrqFlags: 0,
        procAffinity: 0,
        implId: 0,
      },
    ]);
    const v = parseApmt(template).violations;
    expect(failuresOf(v)).to.deep.equal([]);
    expect(v.map((x) => x.code)).to.deep.equal(['APMT_BASE1_IGNORED', 'APMT_ACPI_HID', 'APMT_BASE1_IGNORED', 'APMT_ACPI_HID']);
    expect(decodeApmt(template).nodes).to.have.length(2);
  });

  it('lists every finding at once, as fwts does, and decode refuses only failures', () => {
    const b = graceApmt();
    b[at(0, 3)] = 9;
    b[at(1, 2)] |= 0x80;
    b[at(5, 4)] = 1; // node 5 (id 16) becomes id 17, the id of node 6
    const { violations } = parseApmt(b);
    expect(violations.map((x) => x.code)).to.deep.equal(['APMT_CHECKSUM', 'APMT_NODE_TYPE', 'APMT_FLAGS_RESERVED', 'APMT_DUPLICATE_ID']);
    expect(() => decodeApmt(b)).to.throw(KernelError, /APMT is invalid \(3 failure\(s\)\): header.checksum: .* node 0 type: node type 9 is unknown/);
  });
});

describe('Platform descriptions', () => {
  // A mutable deep copy, so a test can break it field by field.
  // biome-ignore lint/suspicious/noExplicitAny: the copy is broken field by field into shapes no type allows
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
      'scf0',
      'nvlink_c2c0_0',
      'nvlink_c2c1_0',
      'cnvlink0',
      'pcie0',
      'scf1',
      'nvlink_c2c0_1',
      'nvlink_c2c1_1',
      'cnvlink1',
      'pcie1',
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
    expect(() => loadPlatform(spec)).to.throw(
      KernelError,
      /pmus.0 \(mc0\).counters: 0 is impossible.*pmus.2 \(pcie0\).counters: 200 is impossible; counters wider than 32 bits allow 1 to 128.*pmus.3 \(acpi0\).counterBits: 65 is impossible/,
    );
  });

  it('refuses duplicate labels and ids, a dual page without base1, and a bad affinity', () => {
    const spec = base();
    spec.pmus[1]!.label = 'mc0';
    spec.pmus[2]!.id = 0;
    delete spec.pmus[2]!.base1;
    spec.pmus[3]!.affinity = { processor: 99 };
    expect(() => loadPlatform(spec)).to.throw(
      KernelError,
      /label: 'mc0' is already used by pmus.0.*id: 0 is already used by mc0.*base1: a dual-page PMU needs base1.*affinity.processor: no CPU with ACPI UID 99/,
    );
  });

  it('builds hardware whole or not at all', () => {
    const { kernel } = createKernel();
    const bus = new MmioBus(kernel);
    const p = loadPlatform(BUILTIN_PLATFORMS['arm-generic']);
    const blocker = {
      name: 'x',
      check: () => undefined,
      read: () => 0,
      write: () => undefined,
      write32: () => undefined,
      read64: () => undefined,
      tryRead64: () => true,
      write64: () => undefined,
      tryWrite64: () => true,
    };
    bus.map.map(0x50040000, 0x1000, blocker, 'squatter');
    expect(() => new Hardware(p, loadWorkload(p.workload), { clock: kernel.clock, irqs: kernel.irqs, map: bus.map })).to.throw(
      KernelError,
      'overlaps squatter',
    );
    expect(bus.map.all().map((r) => r.owner)).to.deep.equal(['squatter']);
  });

  it('refuses a bad workload naming the field', () => {
    expect(() => loadWorkload({ name: 'w', phases: [{ durationNs: 0, streams: [] }] })).to.throw(KernelError, 'phases.0.durationNs: must be >= 1');
    expect(() => loadWorkload({ name: 'w', phases: [{ durationNs: 5, streams: [{ pmu: 'x', event: 1 }] }] })).to.throw(
      KernelError,
      "give exactly one of 'rate', 'ports', 'bits' or 'values'",
    );
    expect(() => loadWorkload('nope')).to.throw(KernelError, "no built-in workload 'nope'");
  });
});
