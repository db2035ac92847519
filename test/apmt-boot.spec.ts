// Booting from an APMT does what apmt.c does: overlapping pages (both versions) and duplicate ids (7.3) end the walk with the kernel's messages; the rest only warns.
import { type ApmtNode, apmtNodesOf, buildApmt, builtinPlatform, loadPlatform } from '@cspmu/hw';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';

type Node = { -readonly [K in keyof Omit<ApmtNode, 'length' | 'reserved'>]: ApmtNode[K] };

/** The arm-generic platform's APMT nodes (ids 0-4; node 2 is dual-page at 0x50020000/0x50021000), changed by `edit`. */
function table(edit: (nodes: Node[]) => void): Uint8Array {
  const nodes = apmtNodesOf(loadPlatform(builtinPlatform('arm-generic'))).map((n) => ({ ...n }));
  edit(nodes);
  return buildApmt(nodes);
}

async function boot(apmt: Uint8Array, kernelVersion: '7.3' | '6.12' = '7.3') {
  const m = await Machine.boot({ platform: 'arm-generic', apmt, installed: [], kernelVersion });
  const devices = m.bus
    .allDevices()
    .map((d) => d.name)
    .filter((n) => n.startsWith('arm-cs-arch-pmu.'));
  const log = (level: 'warn' | 'err') =>
    m.kernel.log
      .atLeast(level)
      .filter((r) => (level === 'warn' ? r.level === 'warn' : true) && ['ACPI', 'arm-cs-arch-pmu', 'sysfs'].includes(r.subsystem))
      .map((r) => `${r.subsystem}: ${r.message}`);
  return { m, devices, errors: log('err'), warnings: log('warn') };
}

describe('Booting from an APMT: what the kernel refuses and what it only warns about', function () {
  this.timeout(60000);

  for (const kv of ['7.3', '6.12'] as const) {
    const name = (id: number, k: number) => (kv === '7.3' ? `arm-cs-arch-pmu.${id}` : `arm-cs-arch-pmu.${k}.auto`);

    it(`${kv}: a page overlapping an earlier node's page ends the walk there (EBUSY); the nodes before it keep their devices`, async () => {
      const { m, devices, errors } = await boot(
        table((n) => {
          n[3]!.baseAddress0 = 0x50021800; // inside node 2's second page
        }),
        kv,
      );
      expect(devices).to.deep.equal([name(0, 0), name(1, 1), name(2, 2)]);
      expect(errors).to.deep.equal([
        `arm-cs-arch-pmu: ${name(3, 3)}: failed to claim resource 0: [mem 0x50021800-0x500227ff]`,
        'ACPI: APMT: Failed to initialize APMT platform devices, ret: -16',
      ]);
      expect(m.driver.bindings().map((b) => b.device)).to.deep.equal(devices);
      await m.shutdown();
    });

    it(`${kv}: a node whose second page overlaps its first fails on resource 1`, async () => {
      const { devices, errors } = await boot(
        table((n) => {
          n[2]!.baseAddress1 = n[2]!.baseAddress0;
        }),
        kv,
      );
      expect(devices).to.deep.equal([name(0, 0), name(1, 1)]);
      expect(errors).to.deep.equal([
        `arm-cs-arch-pmu: ${name(2, 2)}: failed to claim resource 1: [mem 0x50020000-0x50020fff]`,
        'ACPI: APMT: Failed to initialize APMT platform devices, ret: -16',
      ]);
    });
  }

  it('7.3: a second node with an id already used ends the walk (EEXIST): that node and every later one get no device', async () => {
    const { m, devices, errors } = await boot(
      table((n) => {
        n[3]!.id = 1;
      }),
    );
    expect(devices).to.deep.equal(['arm-cs-arch-pmu.0', 'arm-cs-arch-pmu.1', 'arm-cs-arch-pmu.2']);
    expect(errors).to.deep.equal([
      "sysfs: cannot create duplicate filename '/devices/platform/arm-cs-arch-pmu.1'",
      'ACPI: APMT: Failed to initialize APMT platform devices, ret: -17',
    ]);
    expect(m.driver.bindings()).to.have.length(3);
    await m.shutdown();
  });

  it('6.12: duplicate ids do not matter (devices take auto ids), and nothing is logged', async () => {
    const { devices, errors, warnings } = await boot(
      table((n) => {
        n[4]!.id = 1;
      }),
      '6.12',
    );
    expect(devices).to.deep.equal([0, 1, 2, 3, 4].map((k) => `arm-cs-arch-pmu.${k}.auto`));
    expect(errors).to.deep.equal([]);
    expect(warnings).to.deep.equal([]);
  });

  it('7.3: an id above INT_MAX is truncated with a warning, and the device is created under the truncated id', async () => {
    const { devices, errors, warnings } = await boot(
      table((n) => {
        n[4]!.id = 0x80000009;
      }),
    );
    expect(devices.at(-1)).to.equal('arm-cs-arch-pmu.9');
    expect(errors).to.deep.equal([]);
    expect(warnings).to.deep.equal(['ACPI: APMT: Unexpectedly large UID 0x80000009, truncated to 0x9']);
  });
});
