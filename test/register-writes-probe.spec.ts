// Tests of the exact register accesses of probe: the EXT64 test, PMCR, deferred attempts, and both kernel versions' flows.
import { defineBackend } from '@cspmu/arm-cspmu';
import { GRACE_PLATFORM, type PlatformSpec } from '@cspmu/hw';
import { RegisterBank } from '@cspmu/mmio';
import { Machine, type MachineOptions } from '@cspmu/system';
import { expect } from 'chai';
import { loadBuiltinBackend } from './helpers/machine.js';
import { accessesByDevice, armPmu, platformOf, RwmmioLog } from './helpers/writes.js';

/*
 * Probe-time MMIO and the FEAT_CSPMU_EXT64 register layout, access by
 * access, as Linux 7.3 and 6.12 make them. 7.3 first tests for the
 * extension (all 32-bit, page 0): W PMCNTENCLR0 = ~0, W 0xc10 = ~0, R
 * PMCNTENCLR0; non-zero means EXT64 and 0xc10 is written 0, zero means a
 * look at PMDEVARCH. Then PMCFGR, PMIIDR (the PMPIDRs if it is 0) and PMCR = 6,
 * at 0xe10 under EXT64. 6.12 reads PMCFGR and PMIIDR and writes PMCR = 6.
 * Every deferred attempt repeats the accesses up to the PMIIDR read.
 * Under EXT64 event types and filters are written 64-bit at 0x400/0xa00/0x800
 * + 8 x counter, the generic driver has no cycle counter event, and formats
 * span bits 0-63.
 */

const PLATFORM = platformOf('probe', [
  armPmu({ label: 'g32', id: 0, base0: '0x60000000' }),
  armPmu({ label: 'zero', id: 1, base0: '0x60010000', pmiidrZero: true, cycleCounter: false, counters: 4 }),
  armPmu({ label: 'x64', id: 2, base0: '0x60020000', counters: 9, counterBits: 64, atomic64: true, ext64: true }),
  armPmu({ label: 'x64d', id: 3, base0: '0x60030000', base1: '0x60031000', dualPage: true, counters: 4, counterBits: 64, ext64: true }),
]);

const DETECT = ['W32 0xc20 = 0xffffffff', 'W32 0xc10 = 0xffffffff', 'R32 0xc20'];
const EXT32_PROBE = [...DETECT, 'R32 0xfbc', 'R32 0xe00', 'R32 0xe08'];
const EXT64_PROBE = [...DETECT, 'W32 0xc10 = 0x0', 'R32 0xe00', 'R32 0xe08'];
const PMPIDRS = ['R32 0xfe0', 'R32 0xfe4', 'R32 0xfe8', 'R32 0xfec', 'R32 0xfd0'];

/** The accesses of probing `device` again (released first). */
async function reprobe(m: Machine, device: string): Promise<string[]> {
  const dev = m.bus.device(device)!;
  await m.bus.deviceReleaseDriver(dev);
  const log = new RwmmioLog(m, device, { reads: true, page: false });
  await m.bus.attachDevice(dev);
  return log.take();
}

/** Every device's accesses during boot, recorded from before the driver loads. */
async function bootLogged(options: MachineOptions): Promise<{ m: Machine; logs: Map<string, string[]> }> {
  let logs = new Map<string, string[]>();
  const m = await Machine.boot({ ...options, beforeDrivers: (mm) => void (logs = accessesByDevice(mm)) });
  return { m, logs };
}

describe('Register writes: probe and FEAT_CSPMU_EXT64', function () {
  this.timeout(60000);

  it('7.3 tests for EXT64 on every probe, then writes PMCR = 6 once (at 0xe10 under EXT64)', async () => {
    const m = await Machine.boot({ platform: PLATFORM, installed: [] });
    expect(await reprobe(m, 'arm-cs-arch-pmu.0')).to.deep.equal([...EXT32_PROBE, 'W32 0xe04 = 0x6']);
    expect(await reprobe(m, 'arm-cs-arch-pmu.1')).to.deep.equal([...EXT32_PROBE, ...PMPIDRS, 'W32 0xe04 = 0x6']);
    expect(await reprobe(m, 'arm-cs-arch-pmu.2')).to.deep.equal([...EXT64_PROBE, 'W32 0xe10 = 0x6']);
    expect(await reprobe(m, 'arm-cs-arch-pmu.3')).to.deep.equal([...EXT64_PROBE, 'W32 0xe10 = 0x6']);
  });

  it('6.12 makes no EXT64 test and reads no PMPIDR, even on an EXT64 part', async () => {
    const m = await Machine.boot({ platform: PLATFORM, installed: [], kernelVersion: '6.12' });
    const plain = ['R32 0xe00', 'R32 0xe08', 'W32 0xe04 = 0x6'];
    for (const d of m.bus.allDevices().map((x) => x.name)) expect(await reprobe(m, d), d).to.deep.equal(plain);
  });

  it('every deferred attempt repeats the test up to PMIIDR; attempts are deterministic: one deferral, one bind', async () => {
    const grace = GRACE_PLATFORM.pmus.map((p) => `arm-cs-arch-pmu.${p.id}`);
    for (let boot = 0; boot < 2; boot++) {
      const { logs } = await bootLogged({ platform: 'grace' });
      for (const d of grace) expect(logs.get(d), `${d}, boot ${boot}`).to.deep.equal([...EXT32_PROBE, ...EXT32_PROBE, 'W32 0xe04 = 0x6']);
    }
    const ampere = Array.from({ length: 8 }, (_, i) => `arm-cs-arch-pmu.${i}`);
    const { m, logs } = await bootLogged({ platform: 'ampereone' });
    expect(m.driver.bindings().every((b) => b.backend === 'ampere_cspmu')).to.equal(true);
    for (const d of ampere) expect(logs.get(d), d).to.deep.equal([...EXT32_PROBE, ...EXT32_PROBE, 'W32 0xe04 = 0x6']);
  });

  const x64 = async () => {
    const m = await Machine.boot({ platform: PLATFORM, installed: [] });
    const inst = [...m.driver.instances.values()].find((i) => i.device === 'arm-cs-arch-pmu.2')!;
    return { m, type: inst.type, log: new RwmmioLog(m, 'arm-cs-arch-pmu.2'), dir: `/bus/event_source/devices/${inst.name}` };
  };
  const pmcr = (v: number) => `p0 W32 0xe10 = 0x${v}`;
  const start = (p: number, config: string, f1 = '0x0', f2 = '0x0') => [
    `p0 W64 0x${(8 * p).toString(16)} = 0x7fffffffffffffff`,
    `p0 W64 0x${(0x400 + 8 * p).toString(16)} = ${config}`,
    `p0 W64 0x${(0xa00 + 8 * p).toString(16)} = ${f1}`,
    `p0 W64 0x${(0x800 + 8 * p).toString(16)} = ${f2}`,
    `p0 W32 0xc40 = 0x${(1 << p).toString(16)}`,
    `p0 W32 0xc00 = 0x${(1 << p).toString(16)}`,
  ];
  const stop = (p: number) => [`p0 W32 0xc20 = 0x${(1 << p).toString(16)}`, `p0 W32 0xc60 = 0x${(1 << p).toString(16)}`];

  it('EXT64, both flows: 64-bit event type and filters at an 8-byte stride, PMCR at 0xe10', async () => {
    const { m, type, log } = await x64();
    const e = m.perf.open({ type, config: 0x1_0000_0002n, config1: 0x5_0000_0001n, config2: 0x7n }, { cpu: 0 });
    expect(log.take()).to.deep.equal([pmcr(0), ...start(0, '0x100000002', '0x500000001', '0x7'), pmcr(1)]);
    m.perf.read(e);
    await m.perf.close(e);
    expect(log.take()).to.deep.equal([pmcr(0), ...stop(0)]);
    const d = m.perf.open({ type, config: 0x2n, disabled: true }, { cpu: 0 });
    m.perf.enable(d);
    m.perf.read(d);
    m.perf.disable(d);
    await m.perf.close(d);
    expect(log.take()).to.deep.equal([pmcr(0), pmcr(0), ...start(0, '0x2'), pmcr(1), pmcr(0), ...stop(0)]);
  });

  it('EXT64: `cycles` is an ordinary event, hidden from sysfs, and the cycle counter is never used', async () => {
    const { m, type, log, dir } = await x64();
    const fs = m.kernel.sysfs;
    expect(fs.list(`${dir}/events`)).to.deep.equal([]);
    expect(fs.list(`${dir}/format`).map((f) => `${f}=${fs.read(`${dir}/format/${f}`).trim()}`)).to.deep.equal([
      'event=config:0-63',
      'filter=config1:0-63',
      'filter2=config2:0-63',
    ]);
    const e = m.perf.open({ type, config: 0x1_0000_0000n }, { cpu: 0 });
    expect(log.take()).to.deep.equal([pmcr(0), ...start(0, '0x100000000'), pmcr(1)]);
    await m.perf.close(e);
    // Nine counters with CC: the cycle counter's slot stays reserved, so a group of eight fits and nine do not.
    const leader = m.perf.open({ type, config: 0x1_0000_0000n }, { cpu: 0 });
    for (let i = 0; i < 7; i++) m.perf.open({ type, config: 0x1n }, { cpu: 0, group: leader });
    expect(() => m.perf.open({ type, config: 0x1n }, { cpu: 0, group: leader })).to.throw('EINVAL');
  });

  it('7.3 without EXT64 writes only the low word of a 64-bit config', async () => {
    const spec: PlatformSpec = { ...PLATFORM, pmus: [armPmu({ label: 'a64', id: 0, base0: '0x60000000', counters: 4, counterBits: 64, atomic64: true })] };
    const m = await Machine.boot({ platform: spec, installed: [] });
    const inst = [...m.driver.instances.values()][0]!;
    const log = new RwmmioLog(m, inst.device);
    m.perf.open({ type: inst.type, config: 0x1_0000_0002n, config1: 0x5_0000_0001n }, { cpu: 0 });
    expect(log.take().slice(2, 5)).to.deep.equal(['p0 W32 0x400 = 0x2', 'p0 W32 0xa00 = 0x1', 'p0 W32 0x800 = 0x0']);
  });

  it('NVIDIA under EXT64: 64-bit event type, its own filters still 32-bit at a 4-byte stride, no cycle counter', async () => {
    const spec: PlatformSpec = { ...GRACE_PLATFORM, pmus: GRACE_PLATFORM.pmus.map((p) => ({ ...p, ext64: true })) };
    const m = await Machine.boot({ platform: spec });
    const log = new RwmmioLog(m, 'arm-cs-arch-pmu.4');
    const [e, f] = m.open('nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x3/,nvidia_pcie_pmu_0/rd_bytes_loc/');
    const fs = m.kernel.sysfs;
    expect(fs.exists('/bus/event_source/devices/nvidia_pcie_pmu_0/events/cycles')).to.equal(false);
    expect(fs.exists('/bus/event_source/devices/nvidia_scf_pmu_0/events/cycles')).to.equal(false);
    expect(fs.read('/bus/event_source/devices/nvidia_pcie_pmu_0/format/event')).to.equal('config:0-63\n');
    const pcieStart = (p: number, filter: string) => [
      `p0 W32 0x${(8 * p).toString(16)} = 0xffffffff`,
      `p0 W32 0x${(8 * p + 4).toString(16)} = 0x7fffffff`,
      `p0 W64 0x${(0x400 + 8 * p).toString(16)} = 0x0`,
      `p0 W32 0x${(0xa00 + 4 * p).toString(16)} = ${filter}`,
      `p0 W32 0xc40 = 0x${(1 << p).toString(16)}`,
      `p0 W32 0xc00 = 0x${(1 << p).toString(16)}`,
    ];
    expect(log.take()).to.deep.equal([
      ...[pmcr(0), ...pcieStart(0, '0x3'), pmcr(1)],
      ...[pmcr(0), ...stop(0), ...pcieStart(0, '0x3'), ...pcieStart(1, '0x3ff'), pmcr(1)],
    ]);
    await m.perf.close(e!);
    await m.perf.close(f!);
  });

  it('the EXT64 test falls back on PMDEVARCH when the enables read back 0: PRESENT and ARCHPART 0xaf4 or 0xaf5', async () => {
    // Parts whose 32-bit PMCNTEN write does nothing: only PMDEVARCH can tell. Each replaces a device's page 0.
    const arches = [0x47702af4, 0x47702af5, 0x47602af4, 0x47702a56];
    const bases = [0x60000000, 0x60010000, 0x60020000, 0x60030000];
    const part = (arch: number) =>
      new RegisterBank('part', 0x1000, [
        { name: 'PMCNTENCLR0', offset: 0xc20, access: 'W1C' },
        { name: 'PMCFGR', offset: 0xe00, access: 'RO', reset: 0x1f03 },
        { name: 'PMCR', offset: 0xe04, access: 'RW' },
        { name: 'PMIIDR', offset: 0xe08, access: 'RO', reset: 0x5b00043b },
        { name: 'PMCR_EXT64', offset: 0xe10, access: 'RW' },
        { name: 'PMDEVARCH', offset: 0xfbc, access: 'RO', reset: arch },
      ]);
    let logs = new Map<string, string[]>();
    const m = await Machine.boot({
      platform: PLATFORM,
      installed: [],
      beforeDrivers: (mm) => {
        bases.forEach((b, i) => {
          mm.mmio.map.unmap(mm.mmio.map.lookup(b)!);
          mm.mmio.map.map(b, 0x1000, part(arches[i]!), `part ${i}`);
        });
        logs = accessesByDevice(mm);
      },
    });
    const ext64 = [...m.driver.instances.values()].sort((a, b) => a.device.localeCompare(b.device)).map((i) => i.ext64);
    expect(ext64).to.deep.equal([true, true, false, false]);
    for (const [i, pmcr] of ['0xe10', '0xe10', '0xe04', '0xe04'].entries()) {
      expect(logs.get(`arm-cs-arch-pmu.${i}`)).to.deep.equal([...EXT32_PROBE, `W32 ${pmcr} = 0x6`]);
    }
  });

  it("EXT64 has no default cycle filter: a backend's own cycle test gets counter 31 and no PMCCFILTR write", async () => {
    const { m } = await x64();
    await loadBuiltinBackend(
      m,
      defineBackend({
        name: 'test_ext64_cc',
        match: { implementer: 0x43b },
        init: () => ({ isCycleCounterEvent: (_i, e) => e.attr.config === 0x1_0000_0000n }),
      }),
    );
    const inst = [...m.driver.instances.values()].find((i) => i.device === 'arm-cs-arch-pmu.2')!;
    expect(inst.backendName).to.equal('test_ext64_cc');
    const l2 = new RwmmioLog(m, 'arm-cs-arch-pmu.2');
    m.perf.open({ type: inst.type, config: 0x1_0000_0000n, config1: 0x3n }, { cpu: 0 });
    expect(l2.take()).to.deep.equal([pmcr(0), 'p0 W64 0xf8 = 0x7fffffffffffffff', 'p0 W32 0xc40 = 0x80000000', 'p0 W32 0xc00 = 0x80000000', pmcr(1)]);
  });
});
