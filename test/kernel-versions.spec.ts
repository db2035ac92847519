// Faithful by default: Linux 7.3's names and sysfs files, and each listed difference of Linux 6.12.

import { ARM_GENERIC_PLATFORM, GRACE_PLATFORM, type PlatformSpec } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { recordAccesses } from './helpers/machine.js';

const DEV = '/bus/event_source/devices';

/** One PMU of every APMT node type, with 32-, 48- and 64-bit counters, dual page and a PMIIDR of 0, named as in the 7.3 oracle runs. */
function everyNodeType(): PlatformSpec {
  const base = JSON.parse(JSON.stringify(ARM_GENERIC_PLATFORM)) as { pmus: Record<string, unknown>[] } & PlatformSpec;
  const [mc, smmu, pcie, acpi, cache] = base.pmus;
  Object.assign(mc!, { id: 33, instPrimary: 0 });
  Object.assign(smmu!, { id: 1, instPrimary: 5 });
  Object.assign(pcie!, { id: 2, instPrimary: 3 });
  Object.assign(acpi!, { id: 3, instPrimary: 'ABCD0001', instSecondary: 7 });
  Object.assign(cache!, { id: 4, instSecondary: 9 });
  return base;
}

function tree(m: Machine, pmu: string): string[] {
  const fs = m.kernel.sysfs;
  const dir = `${DEV}/${pmu}`;
  const out: string[] = [];
  for (const f of fs.list(dir)) {
    if (['events', 'format'].includes(f)) {
      for (const g of fs.list(`${dir}/${f}`)) out.push(`${f}/${g}=${fs.read(`${dir}/${f}/${g}`).trim()}`);
    } else out.push(`${f}=${fs.read(`${dir}/${f}`).trim()}`);
  }
  return out.sort();
}

describe('Kernel versions: 7.3 by default, 6.12 on request', function () {
  this.timeout(60000);

  it('7.3 (default): each node type is named from its APMT node, and every PMU exports exactly the kernel’s files', async () => {
    const m = await Machine.boot({ platform: everyNodeType(), installed: [] });
    expect(m.kernelVersion).to.equal('7.3');
    expect(m.driver.bindings().map((b) => `${b.device} ${b.pmu}`)).to.deep.equal([
      'arm-cs-arch-pmu.33 arm_cspmu_mc_33',
      'arm-cs-arch-pmu.1 arm_cspmu_smmu_5',
      'arm-cs-arch-pmu.2 arm_cspmu_pcie_3',
      'arm-cs-arch-pmu.3 arm_cspmu_acpi_ABCD0001_7',
      'arm-cs-arch-pmu.4 arm_cspmu_cache_9',
    ]);
    const type = (n: string) => m.perf.pmuByName(n)!.type;
    const generic = ['format/event=config:0-32', 'format/filter=config1:0-31', 'format/filter2=config2:0-31'];
    expect(tree(m, 'arm_cspmu_mc_33')).to.deep.equal(
      [
        'associated_cpus=0-7',
        'cpumask=0',
        'events/cycles=event=0x100000000',
        ...generic,
        'identifier=5a00043b',
        'perf_event_mux_interval_ms=4',
        `type=${type('arm_cspmu_mc_33')}`,
      ].sort(),
    );
    // No cycle counter: no cycles file. PMIIDR reads 0: the identity is rebuilt from the PMPIDRs.
    expect(tree(m, 'arm_cspmu_smmu_5')).to.deep.equal(
      ['associated_cpus=0', 'cpumask=0', ...generic, 'identifier=5a11243b', 'perf_event_mux_interval_ms=4', `type=${type('arm_cspmu_smmu_5')}`].sort(),
    );
    for (const p of ['arm_cspmu_pcie_3', 'arm_cspmu_acpi_ABCD0001_7', 'arm_cspmu_cache_9']) {
      const files = tree(m, p);
      expect(
        files.filter((f) => f.startsWith('events/') || f.startsWith('format/')),
        p,
      ).to.deep.equal(['events/cycles=event=0x100000000', ...generic].sort());
      expect(
        files.some((f) => /\.(unit|scale)=/.test(f)),
        p,
      ).to.equal(false);
    }
  });

  it('7.3: two generic PMUs that build the same name: the second probe fails with EEXIST and its device stays unbound', async () => {
    const spec = everyNodeType();
    (spec.pmus as unknown as Record<string, unknown>[]).push({ ...spec.pmus[1]!, label: 'smmu1', id: 9, base0: '0x50090000' });
    const m = await Machine.boot({ platform: spec, installed: [] });
    expect(m.bus.device('arm-cs-arch-pmu.9')!.bound).to.equal(false);
    expect(m.bus.isDeferred(m.bus.device('arm-cs-arch-pmu.9')!)).to.equal(false);
    expect(
      m.driver
        .bindings()
        .filter((b) => b.pmu === 'arm_cspmu_smmu_5')
        .map((b) => b.device),
    ).to.deep.equal(['arm-cs-arch-pmu.1']);
    expect(m.kernel.log.atLeast('err').map((r) => `${r.subsystem}: ${r.message}`)).to.include.members([
      "sysfs: cannot create duplicate filename '/bus/event_source/devices/arm_cspmu_smmu_5'",
      'arm-cs-arch-pmu: arm-cs-arch-pmu.9: probe with driver arm-cs-arch-pmu failed with error -17',
    ]);
    const unique = await Machine.boot({ platform: spec, installed: [], proposed: ['unique-names'] });
    expect(unique.driver.bindings().map((b) => b.pmu)).to.include('arm_cspmu_smmu_5_1');
  });

  it('6.12: platform devices are arm-cs-arch-pmu.<k>.auto in table order, and generic PMUs take one counter per node type', async () => {
    const spec = everyNodeType();
    (spec.pmus as unknown as Record<string, unknown>[]).push({ ...spec.pmus[1]!, label: 'smmu1', id: 9, base0: '0x50090000' });
    const m = await Machine.boot({ platform: spec, installed: [], kernelVersion: '6.12' });
    expect(m.driver.bindings().map((b) => `${b.device} ${b.pmu}`)).to.deep.equal([
      'arm-cs-arch-pmu.0.auto arm_cspmu_mc_0',
      'arm-cs-arch-pmu.1.auto arm_cspmu_smmu_0',
      'arm-cs-arch-pmu.2.auto arm_cspmu_pcie_0',
      'arm-cs-arch-pmu.3.auto arm_cspmu_acpi_ABCD0001_7',
      'arm-cs-arch-pmu.4.auto arm_cspmu_cache_0',
      'arm-cs-arch-pmu.5.auto arm_cspmu_smmu_1',
    ]);
  });

  it('6.12: no filter2 format and no PMEVFILT2R write; no PMPIDR fallback (identifier 0)', async () => {
    const m = await Machine.boot({ platform: everyNodeType(), installed: [], kernelVersion: '6.12' });
    expect(tree(m, 'arm_cspmu_mc_0').filter((f) => f.startsWith('format/'))).to.deep.equal(['format/event=config:0-32', 'format/filter=config1:0-31'].sort());
    expect(m.kernel.sysfs.read(`${DEV}/arm_cspmu_smmu_0/identifier`)).to.equal('0\n');
    const rec = recordAccesses(m);
    m.open('arm_cspmu_mc_0/event=0x1,filter=0x5/');
    expect(rec.log.filter((a) => a.write && a.off >= 0x800 && a.off < 0xc00).map((a) => `0x${a.off.toString(16)}=${a.value}`)).to.deep.equal(['0xa00=5']);
  });

  it('6.12: NVIDIA as 6.12 had it: 225 SCF events, no NVLink-C2C port format (filter always 0x3), an unset root-port filter writes 0', async () => {
    const m = await Machine.boot({ platform: 'grace', kernelVersion: '6.12' });
    const fs = m.kernel.sysfs;
    expect(fs.list(`${DEV}/nvidia_scf_pmu_0/events`)).to.have.length(225);
    expect(fs.read(`${DEV}/nvidia_scf_pmu_0/events/ocu_3_cmem_wb_outstanding`)).to.equal('event=0x1da\n');
    expect(fs.list(`${DEV}/nvidia_nvlink_c2c0_pmu_0/format`)).to.deep.equal(['event']);
    const rec = recordAccesses(m);
    m.open('nvidia_pcie_pmu_0/rd_bytes_loc/,nvidia_nvlink_c2c0_pmu_0/rd_bytes_loc,config1=0x1/');
    const filters = rec.log.filter((a) => a.write && a.off === 0xa00).map((a) => `${a.dev} ${a.value}`);
    expect(filters).to.deep.equal(['arm-cs-arch-pmu.4.auto 0', 'arm-cs-arch-pmu.1.auto 3']);
    const m73 = await Machine.boot({ platform: 'grace' });
    expect(m73.kernel.sysfs.list(`${DEV}/nvidia_scf_pmu_0/events`)).to.have.length(54);
    expect(m73.kernel.sysfs.list(`${DEV}/nvidia_nvlink_c2c0_pmu_0/format`)).to.deep.equal(['event', 'port']);
  });

  it('6.12: the generic NVIDIA uncore PMU has no filter2 format and never writes PMEVFILT2R (7.3 has both)', async () => {
    const platform = JSON.parse(JSON.stringify(GRACE_PLATFORM));
    platform.pmus.push({ ...platform.pmus[4], label: 'odd0', id: 41, product: '0x999', base0: '0x1000060000', irq: { gsi: 0x2f1, trigger: 'level' } });
    const seen: Record<string, { formats: string[]; writes: string[] }> = {};
    for (const kernelVersion of ['6.12', '7.3'] as const) {
      const m = await Machine.boot({ platform, kernelVersion });
      const formats = tree(m, 'nvidia_uncore_pmu_0').filter((f) => f.startsWith('format/'));
      const rec = recordAccesses(m);
      m.open('nvidia_uncore_pmu_0/event=0x3,filter=0x5/');
      const writes = rec.log.filter((a) => a.write && a.off >= 0x800 && a.off < 0xc00).map((a) => `0x${a.off.toString(16)}=0x${a.value.toString(16)}`);
      seen[kernelVersion] = { formats, writes };
      if (kernelVersion === '6.12') expect(() => m.open('nvidia_uncore_pmu_0/event=0x3,filter2=0x1/')).to.throw(/filter2/);
      await m.shutdown();
    }
    expect(seen['6.12']).to.deep.equal({ formats: ['format/event=config:0-32', 'format/filter=config1:0-31'], writes: ['0xa00=0x5'] });
    expect(seen['7.3']).to.deep.equal({
      formats: ['format/event=config:0-32', 'format/filter2=config2:0-31', 'format/filter=config1:0-31'],
      writes: ['0xa00=0x5', '0x800=0xffffffff'],
    });
  });

  it('the version comes from the boot option, else the platform file, else 7.3; anything else is EINVAL naming the choices', async () => {
    const spec = { ...everyNodeType(), kernelVersion: '6.12' as const };
    expect((await Machine.boot({ platform: spec, installed: [] })).kernelVersion).to.equal('6.12');
    expect((await Machine.boot({ platform: spec, installed: [], kernelVersion: '7.3' })).kernelVersion).to.equal('7.3');
    try {
      await Machine.boot({ platform: 'grace', kernelVersion: '5.4' as never });
      expect.fail('expected EINVAL');
    } catch (e) {
      expect((e as Error).message).to.contain("'5.4' is not a modelled kernel version; choose one of 7.3, 6.12");
    }
    try {
      await Machine.boot({ platform: { ...everyNodeType(), kernelVersion: '6.1' as never } });
      expect.fail('expected EINVAL');
    } catch (e) {
      expect((e as Error).message).to.contain('kernelVersion: must be one of "7.3", "6.12"');
    }
  });
});
