// Tests of the NVIDIA backend on the Grace machine: names, events and formats, units, port filters, multiplexing, hot swap.
import { GRACE_PLATFORM } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { MS, recordAccesses } from './helpers/machine.js';

/** The SCF events of upstream nvidia_cspmu (7.3, after its removal of unsupported SCF events), typed out independently of the backend's source. */
const SCF_FACTS: Record<string, number> = {
  bus_cycles: 0x1d,
  scf_cache_allocate: 0xf0,
  scf_cache_refill: 0xf1,
  scf_cache: 0xf2,
  scf_cache_wb: 0xf3,
  gmem_rd_data: 0x16d,
  gmem_rd_access: 0x16e,
  gmem_rd_outstanding: 0x16f,
  gmem_wb_data: 0x173,
  gmem_wb_access: 0x174,
  gmem_wr_data: 0x179,
  gmem_wr_access: 0x17b,
  gmem_wr_total_bytes: 0x1a0,
  remote_socket_wr_total_bytes: 0x1a1,
  remote_socket_rd_data: 0x1a2,
  remote_socket_rd_outstanding: 0x1a3,
  remote_socket_rd_access: 0x1a4,
  cmem_rd_data: 0x1a5,
  cmem_rd_access: 0x1a6,
  cmem_rd_outstanding: 0x1a7,
  cmem_wb_data: 0x1ab,
  cmem_wb_access: 0x1ac,
  cmem_wr_data: 0x1b1,
  cmem_wr_access: 0x1ca,
  cmem_wr_total_bytes: 0x1db,
  cycles: 0x100000000,
};
for (const [suffix, base] of [
  ['rd_data', 0x101],
  ['wb_data', 0x109],
  ['rd_outstanding', 0x115],
  ['rd_access', 0x12d],
  ['wb_access', 0x135],
  ['wr_access', 0x139],
  ['wr_data', 0x17c],
] as const) {
  for (let n = 0; n < 4; n++) SCF_FACTS[`socket_${n}_${suffix}`] = base + n;
}
const MCF_FACTS: Record<string, number> = {
  rd_bytes_loc: 0x0,
  rd_bytes_rem: 0x1,
  wr_bytes_loc: 0x2,
  wr_bytes_rem: 0x3,
  total_bytes_loc: 0x4,
  total_bytes_rem: 0x5,
  rd_req_loc: 0x6,
  rd_req_rem: 0x7,
  wr_req_loc: 0x8,
  wr_req_rem: 0x9,
  total_req_loc: 0xa,
  total_req_rem: 0xb,
  rd_cum_outs_loc: 0xc,
  rd_cum_outs_rem: 0xd,
  cycles: 0x100000000,
};

const DEV = '/bus/event_source/devices';

function eventsOf(m: Machine, pmu: string): Record<string, number> {
  const fs = m.kernel.sysfs;
  const out: Record<string, number> = {};
  for (const f of fs.list(`${DEV}/${pmu}/events`)) {
    if (f.endsWith('.scale') || f.endsWith('.unit')) continue;
    const text = fs.read(`${DEV}/${pmu}/events/${f}`);
    expect(text, f).to.match(/^event=0x[0-9a-f]+\n$/);
    out[f] = Number(text.trim().slice('event='.length));
  }
  return out;
}

function formatsOf(m: Machine, pmu: string): string[] {
  const fs = m.kernel.sysfs;
  return fs.list(`${DEV}/${pmu}/format`).map((f) => `${f}=${fs.read(`${DEV}/${pmu}/format/${f}`).trim()}`);
}

describe('NVIDIA backend on the Grace machine', function () {
  this.timeout(60000);

  it('names each PMU by product and socket', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    expect(m.driver.bindings().map((b) => `${b.pmu} ${b.backend}`)).to.deep.equal([
      'nvidia_scf_pmu_0 nvidia_cspmu',
      'nvidia_nvlink_c2c0_pmu_0 nvidia_cspmu',
      'nvidia_nvlink_c2c1_pmu_0 nvidia_cspmu',
      'nvidia_cnvlink_pmu_0 nvidia_cspmu',
      'nvidia_pcie_pmu_0 nvidia_cspmu',
      'nvidia_scf_pmu_1 nvidia_cspmu',
      'nvidia_nvlink_c2c0_pmu_1 nvidia_cspmu',
      'nvidia_nvlink_c2c1_pmu_1 nvidia_cspmu',
      'nvidia_cnvlink_pmu_1 nvidia_cspmu',
      'nvidia_pcie_pmu_1 nvidia_cspmu',
    ]);
    expect(m.kernel.sysfs.read(`${DEV}/nvidia_scf_pmu_0/identifier`)).to.equal('2cf0036b\n');
  });

  it('lists events and formats exactly as upstream nvidia_cspmu does', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    expect(eventsOf(m, 'nvidia_scf_pmu_0')).to.deep.equal(SCF_FACTS);
    expect(Object.keys(SCF_FACTS)).to.have.length(54);
    for (const pmu of ['nvidia_pcie_pmu_1', 'nvidia_nvlink_c2c0_pmu_0', 'nvidia_nvlink_c2c1_pmu_0', 'nvidia_cnvlink_pmu_1']) {
      expect(eventsOf(m, pmu), pmu).to.deep.equal(MCF_FACTS);
    }
    expect(formatsOf(m, 'nvidia_scf_pmu_0')).to.deep.equal(['event=config:0-32']);
    expect(formatsOf(m, 'nvidia_pcie_pmu_0')).to.deep.equal(['event=config:0-32', 'root_port=config1:0-9']);
    expect(formatsOf(m, 'nvidia_nvlink_c2c0_pmu_0')).to.deep.equal(['event=config:0-32', 'port=config1:0-1']);
    expect(formatsOf(m, 'nvidia_nvlink_c2c1_pmu_1')).to.deep.equal(['event=config:0-32', 'port=config1:0-1']);
    expect(formatsOf(m, 'nvidia_cnvlink_pmu_0')).to.deep.equal(['event=config:0-32', 'rem_socket=config1:0-3']);
  });

  it('creates no unit or scale file by default, as no kernel does; stat still knows the units', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const files = m.kernel.sysfs.list(`${DEV}/nvidia_scf_pmu_0/events`);
    expect(files.filter((f) => f.endsWith('.scale') || f.endsWith('.unit'))).to.deep.equal([]);
    expect(m.eventScaleUnit('nvidia_scf_pmu_0', 'cmem_rd_data')).to.deep.equal({ scale: 32, unit: 'Bytes' });
    expect(m.eventScaleUnit('nvidia_scf_pmu_0', 'cmem_rd_access')).to.equal(undefined);
  });

  it('publishes scale and unit files for byte-counting events under the units proposal', async () => {
    const m = await Machine.boot({ platform: 'grace', proposed: ['units'] });
    const fs = m.kernel.sysfs;
    expect(fs.read(`${DEV}/nvidia_scf_pmu_0/events/cmem_rd_data.scale`)).to.equal('32\n');
    expect(fs.read(`${DEV}/nvidia_scf_pmu_0/events/cmem_rd_data.unit`)).to.equal('Bytes\n');
    expect(fs.read(`${DEV}/nvidia_scf_pmu_0/events/cmem_wr_total_bytes.unit`)).to.equal('Bytes\n');
    expect(fs.exists(`${DEV}/nvidia_scf_pmu_0/events/cmem_wr_total_bytes.scale`)).to.equal(false);
    expect(fs.exists(`${DEV}/nvidia_scf_pmu_0/events/cmem_rd_access.unit`)).to.equal(false);
    expect(fs.read(`${DEV}/nvidia_pcie_pmu_0/events/rd_bytes_loc.unit`)).to.equal('Bytes\n');
  });

  it('programs port filters with "empty means all ports", SCF and its cycle counter with 0', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const rec = recordAccesses(m);
    const writes = (filterReg: number) => rec.log.filter((a) => a.write && a.off === filterReg).map((a) => `${a.dev} 0x${a.value.toString(16)}`);
    m.open('nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x3/');
    m.open('nvidia_pcie_pmu_0/rd_bytes_loc/');
    m.open('nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc/');
    m.open('nvidia_cnvlink_pmu_0/rd_bytes_rem,rem_socket=0x2/');
    m.open('nvidia_scf_pmu_0/cmem_rd_data/');
    // The second PCIe open reschedules the PMU: the first event is started again on counter 0.
    expect(writes(0xa00).concat(writes(0xa04))).to.deep.equal([
      'arm-cs-arch-pmu.4 0x3',
      'arm-cs-arch-pmu.4 0x3',
      'arm-cs-arch-pmu.1 0x3',
      'arm-cs-arch-pmu.3 0x2',
      'arm-cs-arch-pmu.0 0x0',
      'arm-cs-arch-pmu.4 0x3ff',
    ]);
    // No PMEVFILT2R on the Grace-era PMUs.
    expect(rec.log.filter((a) => a.write && a.off >= 0x800 && a.off < 0x900)).to.deep.equal([]);
    rec.log.length = 0;
    m.open('nvidia_pcie_pmu_0/cycles,root_port=0x5/');
    m.open('nvidia_scf_pmu_1/cycles/');
    expect(writes(0x47c)).to.deep.equal(['arm-cs-arch-pmu.4 0x5', 'arm-cs-arch-pmu.16 0x0']);
  });

  it('counts only the selected root ports, as the workload says', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const evs = m.open(
      'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x1/,nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x4/,nvidia_pcie_pmu_0/rd_bytes_loc/,nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x2/',
    );
    const t0 = m.clock.now();
    m.advance(3 * MS + 5);
    const t1 = m.clock.now();
    const exp = (filter: number) => m.hardware.workload.expected({ label: 'pcie0', event: 0, filter, filter2: 0 }, t0, t1);
    expect(evs.map((e) => m.perf.read(e).value)).to.deep.equal([exp(0x1), exp(0x4), exp(0x3ff), 0]);
    expect(exp(0x1)).to.equal(Math.floor((t1 - t0) * 4));
    expect(exp(0x3ff)).to.equal(exp(0x1) + exp(0x4) + exp(0x200));
  });

  it('multiplexes a NVLink-C2C PMU (4 event counters) given two groups of three', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const evs = m.open(
      '{nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/rd_req_loc/},{nvidia_nvlink_c2c0_pmu_0/total_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/wr_req_loc/,nvidia_nvlink_c2c0_pmu_0/rd_cum_outs_loc/}',
    );
    m.advance(10 * MS);
    const r = evs.map((e) => m.perf.read(e));
    expect(r.map((x) => x.timeEnabled)).to.deep.equal(Array(6).fill(10 * MS));
    expect(r.map((x) => x.timeRunning)).to.deep.equal([...Array(3).fill(6 * MS), ...Array(3).fill(4 * MS)]);
  });

  it('hot-swaps generic-bound PMUs to NVIDIA while their events run', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    await m.unload('nvidia_cspmu');
    expect(m.driver.bindings().every((b) => b.backend === 'arm_cspmu_generic')).to.equal(true);
    const busyPmu = m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.4')!.pmu;
    const [e] = m.open(`${busyPmu}/event=0x0,filter=0x4/`);
    const t0 = m.clock.now();
    m.advance(2 * MS);
    await m.load('@cspmu/nvidia');
    expect(m.driver.bindings().filter((b) => b.backend === 'nvidia_cspmu')).to.have.length(9);
    expect(m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.4')).to.include({ pmu: busyPmu, reprobePending: true });
    m.advance(2 * MS);
    expect(m.perf.read(e!).value).to.equal(m.hardware.workload.expected({ label: 'pcie0', event: 0, filter: 4, filter2: 0 }, t0, m.clock.now()));
    await m.perf.close(e!);
    await m.settle();
    expect(m.driver.bindings().find((b) => b.device === 'arm-cs-arch-pmu.4')).to.include({ pmu: 'nvidia_pcie_pmu_0', backend: 'nvidia_cspmu' });
    expect(m.mmio.violations).to.deep.equal([]);
    expect(m.kernel.kasan.reports).to.deep.equal([]);
  });

  it('fails the second probe of a duplicate name with EEXIST, leaving that device unbound and nothing else changed', async () => {
    const spec = JSON.parse(JSON.stringify(GRACE_PLATFORM));
    spec.pmus.push({ ...spec.pmus[4], label: 'pcie0b', id: 40, base0: '0x1000050000', irq: { gsi: 0x2f0, trigger: 'level' } });
    const m = await Machine.boot({ platform: spec });
    const dup = m.bus.device('arm-cs-arch-pmu.40')!;
    expect(dup.bound).to.equal(false);
    expect(m.bus.isDeferred(dup)).to.equal(false);
    expect(
      m.driver
        .bindings()
        .map((b) => b.pmu)
        .filter((n) => n.startsWith('nvidia_pcie_pmu_0')),
    ).to.deep.equal(['nvidia_pcie_pmu_0']);
    expect(m.driver.bindings().find((b) => b.pmu === 'nvidia_pcie_pmu_0')!.device).to.equal('arm-cs-arch-pmu.4');
    const errs = m.kernel.log.atLeast('err').map((r) => `${r.subsystem}: ${r.message}`);
    expect(errs).to.include.members([
      "sysfs: cannot create duplicate filename '/bus/event_source/devices/nvidia_pcie_pmu_0'",
      'arm-cs-arch-pmu: arm-cs-arch-pmu.40: probe with driver arm-cs-arch-pmu failed with error -17',
    ]);
    // The failed probe gave back its type id, IRQ, mappings and hotplug instance: the same PMUs, types 6..15, as without it.
    const clean = await Machine.boot({ platform: 'grace' });
    expect(m.perf.pmus().map((p) => `${p.name}:${p.type}`)).to.deep.equal(clean.perf.pmus().map((p) => `${p.name}:${p.type}`));
    expect(m.kernel.irqs.owner(dup.irq(0)!)).to.equal(undefined);
    expect(m.mmio.mappings().filter((io) => io.owner === 'arm-cs-arch-pmu.40')).to.deep.equal([]);
    expect(m.kernel.sysfs.read(`${DEV}/nvidia_pcie_pmu_0/cpumask`)).to.equal('0\n');
  });

  it('gives unique names to several PMUs of one type on one socket under the unique-names proposal', async () => {
    const spec = JSON.parse(JSON.stringify(GRACE_PLATFORM));
    const extra = { ...spec.pmus[4], label: 'pcie0b', id: 40, base0: '0x1000050000', irq: { gsi: 0x2f0, trigger: 'level' } };
    const unknown = { ...spec.pmus[4], label: 'odd0', id: 41, product: '0x999', base0: '0x1000060000', irq: { gsi: 0x2f1, trigger: 'level' } };
    const unknown2 = { ...unknown, label: 'odd1', id: 42, base0: '0x1000070000', irq: { gsi: 0x2f2, trigger: 'level' } };
    spec.pmus.push(extra, unknown, unknown2);
    const m = await Machine.boot({ platform: spec, proposed: ['unique-names'] });
    const names = m.driver.bindings().map((b) => b.pmu);
    expect(names.filter((n) => n.startsWith('nvidia_pcie_pmu_0'))).to.deep.equal(['nvidia_pcie_pmu_0', 'nvidia_pcie_pmu_0_1']);
    expect(names.filter((n) => n.startsWith('nvidia_uncore'))).to.deep.equal(['nvidia_uncore_pmu_0', 'nvidia_uncore_pmu_1']);
    expect(formatsOf(m, 'nvidia_uncore_pmu_0')).to.deep.equal(['event=config:0-32', 'filter=config1:0-31', 'filter2=config2:0-31']);
    const rec = recordAccesses(m);
    m.open('nvidia_uncore_pmu_0/event=0x3/');
    expect(rec.log.filter((a) => a.write && (a.off === 0xa00 || a.off === 0x800)).map((a) => a.value)).to.deep.equal([0xffffffffn, 0xffffffffn]);
  });
});
