// Hardening: every public entry point, given a value of the wrong kind (a symbol, a bigint, null, a throwing toString...), throws a KernelError and changes nothing.

import { KernelError } from '@cspmu/kernel';
import { IoMem } from '@cspmu/mmio';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { expectCode, rejects } from './helpers/errors.js';

/** An object whose every conversion throws, as a hostile caller's value might. */
const unprintable = {
  get x() {
    throw new Error('getter');
  },
  toString() {
    throw new Error('toString');
  },
  valueOf() {
    throw new Error('valueOf');
  },
};

/** Values of every kind but the right one, each with a name for the failure message. */
const BAD: readonly (readonly [string, unknown])[] = [
  ['undefined', undefined],
  ['null', null],
  ['-1', -1],
  ['1.5', 1.5],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ["'x'", 'x'],
  ["''", ''],
  ['{}', {}],
  ['[]', []],
  ['5n', 5n],
  ['a symbol', Symbol('s')],
  ['an unprintable object', unprintable],
  ['a function', () => 1],
];

describe('Hardening: public entry points given values of the wrong kind', function () {
  this.timeout(120000);

  it("throw a KernelError (never a TypeError or the value's own exception) and leave nothing behind", async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const attr = m.parseEvents('nvidia_scf_pmu_0/cycles/')[0]!.attr;
    const pmu = m.perf.pmuByName('nvidia_scf_pmu_0')!;
    const mux = '/bus/event_source/devices/nvidia_scf_pmu_0/perf_event_mux_interval_ms';
    let io: IoMem | undefined;
    const mapped = () => (io ??= m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, 'misuse'));
    const f = m as unknown as Record<string, (...a: unknown[]) => unknown>;
    const calls: Record<string, (v: unknown) => unknown> = {
      'm.advance': (v) => f['advance']!.call(m, v),
      'clock.at': (v) => m.kernel.clock.at(v as never, () => undefined),
      'm.open': (v) => f['open']!.call(m, v),
      'm.open options': (v) => f['open']!.call(m, 'nvidia_scf_pmu_0/cycles/', v),
      'm.open cpu': (v) => f['open']!.call(m, 'nvidia_scf_pmu_0/cycles/', { cpu: v }),
      'm.parseEvents': (v) => f['parseEvents']!.call(m, v),
      'grammar.matchPmus': (v) => m.grammar().matchPmus(v as never),
      'm.close': (v) => f['close']!.call(m, v),
      'm.eventScaleUnit': (v) => f['eventScaleUnit']!.call(m, v, v),
      'm.whenBound': (v) => f['whenBound']!.call(m, v),
      'm.load': (v) => f['load']!.call(m, v),
      'm.unload': (v) => f['unload']!.call(m, v),
      'perf.open attr': (v) => m.perf.open(v as never, { cpu: 0 }),
      'perf.open type': (v) => m.perf.open({ ...attr, type: v } as never, { cpu: 0 }),
      'perf.open config': (v) => m.perf.open({ ...attr, config: v } as never, { cpu: 0 }),
      'perf.open cpu': (v) => m.perf.open(attr, { cpu: v } as never),
      'perf.open pid': (v) => m.perf.open(attr, { cpu: 0, pid: v } as never),
      'perf.close': (v) => m.perf.close(v as never),
      'perf.read': (v) => m.perf.read(v as never),
      'perf.setMuxInterval': (v) => m.perf.setMuxInterval(pmu, v as never),
      'sysfs.read': (v) => m.kernel.sysfs.read(v as never),
      'sysfs.write path': (v) => m.kernel.sysfs.write(v as never, '4'),
      'sysfs.write value': (v) => m.kernel.sysfs.write(mux, v as never),
      'hardware.device': (v) => m.hardware.device(v as never),
      'bus.removeDevice': (v) => m.bus.removeDevice(v as never),
      'bus.attachDevice': (v) => m.bus.attachDevice(v as never),
      'mmio.ioremap phys': (v) => m.mmio.ioremap(v as never, 0x1000, 'x'),
      'mmio.ioremap size': (v) => m.mmio.ioremap(m.platform.pmus[0]!.base0, v as never, 'x'),
      'mmio.ioremap owner': (v) => m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, v as never),
      'mmio.iounmap': (v) => m.mmio.iounmap(v as never),
      'readl offset': (v) => mapped().readl(v as never),
      'writel offset': (v) => mapped().writel(0, v as never),
      'readq offset': (v) => mapped().readq(v as never),
      'writeb offset': (v) => mapped().writeb(0, v as never),
      'trace.enable': (v) => m.kernel.trace.enable(v as never),
      'Machine.boot': (v) => Machine.boot(v as never),
      'boot plugins': (v) => Machine.boot({ platform: 'arm-generic', installed: [], plugins: v as never }),
      'boot blacklist': (v) => Machine.boot({ platform: 'arm-generic', installed: [], blacklist: v as never }),
      'boot blacklist entry': (v) => Machine.boot({ platform: 'arm-generic', installed: [], blacklist: [v] as never }),
      'boot installed': (v) => Machine.boot({ platform: 'arm-generic', installed: v as never }),
      'boot moduleRoots': (v) => Machine.boot({ platform: 'arm-generic', moduleRoots: v as never }),
      'boot apmt': (v) => Machine.boot({ platform: 'arm-generic', installed: [], apmt: v as never }),
      'boot moduleTimeoutMs': (v) => Machine.boot({ platform: 'arm-generic', installed: [], moduleTimeoutMs: v as never }),
      'boot kernelVersion': (v) => Machine.boot({ platform: 'arm-generic', installed: [], kernelVersion: v as never }),
      'boot inject': (v) => Machine.boot({ platform: 'arm-generic', installed: [], inject: v as never }),
    };
    const escaped: string[] = [];
    for (const [call, fn] of Object.entries(calls)) {
      for (const [name, v] of BAD) {
        const before = m.perf.liveEvents().length;
        try {
          const made = await fn(v);
          // A valid owner name ('x') maps: unmapped again.
          if (made instanceof IoMem) m.mmio.iounmap(made);
        } catch (e) {
          if (!(e instanceof KernelError)) escaped.push(`${call}(${name}): ${(e as Error)?.constructor?.name} ${(e as Error)?.message}`);
          else if (m.perf.liveEvents().length !== before) escaped.push(`${call}(${name}): refused, but left an event open`);
        }
        // Some of these are valid (pid -1, no options): what they opened is closed again.
        for (const e of m.perf.liveEvents().slice(before).reverse()) await m.perf.close(e);
      }
    }
    expect(escaped).to.deep.equal([]);
    expect(m.perf.liveEvents()).to.have.length(0);
    expect(m.mmio.mappings().filter((x) => x.owner === 'x')).to.deep.equal([]);
    expect(m.modules.list().map((x) => [x.name, x.state])).to.deep.equal([
      ['arm_cspmu', 'live'],
      ['nvidia_cspmu', 'live'],
    ]);
  });

  it('say which argument was wrong and what it got, with the errno the kernel would give', async () => {
    const m = await Machine.boot({ platform: 'arm-generic', installed: [] });
    const io = m.mmio.ioremap(m.platform.pmus[0]!.base0, 0x1000, 'misuse');
    expectCode(() => m.advance(Symbol('s') as never), 'EINVAL', 'must be a non-negative integer of nanoseconds, got a symbol');
    expectCode(() => io.readl(undefined as never), 'EINVAL', 'misuse: 32-bit access: the offset must be a number, got undefined');
    expectCode(() => io.readl(5n as never), 'EINVAL', 'the offset must be a number, got 5n');
    expectCode(() => io.writel(0, unprintable as never), 'EINVAL', 'the offset must be a number, got an object');
    expectCode(() => m.mmio.iounmap(null as never), 'EINVAL', 'iounmap: not a mapping, got null');
    expectCode(() => m.mmio.ioremap(undefined as never, 0x1000, 'x'), 'EINVAL', 'ioremap for x: undefined must be a 4 KiB aligned physical address');
    expectCode(() => m.kernel.trace.enable(5 as never), 'EINVAL', 'a trace event pattern must be a string, got 5');
    expectCode(() => m.open('arm_cspmu_mc_0/cycles/', null as never), 'EINVAL', 'open options must be an object, got null');
    expectCode(() => m.hardware.device(Symbol('d') as never), 'ENOENT', 'no PMU device a symbol');
    expectCode(() => m.kernel.sysfs.write('/bus/event_source/devices/arm_cspmu_mc_0/perf_event_mux_interval_ms', 4 as never), 'EINVAL', 'is text, got 4');
    expect((await rejects(m.bus.removeDevice(null as never))).message).to.equal('EINVAL: removeDevice: not a platform device, got null');
    expect((await rejects(Machine.boot(null as never))).message).to.equal('EINVAL: boot options must be an object, got null');
    expect((await rejects(Machine.boot({ plugins: 'nvidia_cspmu' as never }))).message).to.equal(
      "EINVAL: boot option plugins must be a list of names, got 'nvidia_cspmu'",
    );
    expect((await rejects(Machine.boot({ apmt: [1, 2] as never }))).message).to.equal(
      "EINVAL: boot option apmt must be the table's bytes (a Uint8Array), got an array",
    );
    const e = await rejects(Machine.boot(unprintable as never));
    expect([e.code, e.message]).to.deep.equal(['EFAULT', 'EFAULT: boot options cannot be read: getter']);
    expect(m.bus.allDevices()).to.have.length(5);
    m.mmio.iounmap(io);
  });
});
