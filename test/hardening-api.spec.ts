// Hardening: public functions refuse misuse with KernelErrors (EINVAL/EBADF/EFAULT), sysctl-style writes are range-checked, errors exit non-zero.

import { KernelError, kstrtoint } from '@cspmu/kernel';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { cspmu, oneLineError } from './helpers/cli.js';
import { expectCode, rejects } from './helpers/errors.js';

describe('Hardening: the error contract of public functions', () => {
  let m: Machine;
  before(async () => {
    m = await Machine.boot({ platform: 'grace' });
  });

  it('perf: bad options, unreadable attrs and non-events are EINVAL, EFAULT and EBADF, never TypeError', async () => {
    const attr = m.parseEvents('nvidia_scf_pmu_0/cycles/')[0]!.attr;
    const perf = m.perf as unknown as Record<string, (...a: unknown[]) => unknown>;
    expectCode(() => m.perf.open(attr, null as never), 'EINVAL', 'open options must be an object');
    expectCode(() => m.perf.open(attr, { cpu: 0, caller: {} } as never), 'EINVAL', 'caller must be { name, capabilities: string[] }');
    const throwing = Object.defineProperty({ ...attr }, 'config', {
      get: () => {
        throw new Error('unmapped user page');
      },
    });
    expectCode(() => m.perf.open(throwing, { cpu: 0 }), 'EFAULT', 'perf_event_attr cannot be read: unmapped user page');
    const proxy = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    expectCode(() => m.perf.open(proxy as never, { cpu: 0 }), 'EFAULT');
    expectCode(
      () =>
        m.perf.open(
          attr,
          new Proxy(
            {},
            {
              get: () => {
                throw new Error('trap');
              },
            },
          ) as never,
        ),
      'EFAULT',
      'open options cannot be read',
    );
    expectCode(
      () =>
        m.perf.open(
          {
            ...attr,
            config: {
              toString: () => {
                throw new Error('x');
              },
            },
          } as never,
          { cpu: 0 },
        ),
      'EINVAL',
      'attr.config must be a bigint',
    );
    expectCode(() => m.perf.open(attr, { cpu: 0, group: {} as never }), 'EBADF');
    for (const op of ['close', 'read', 'enable', 'disable', 'reset']) {
      for (const bad of [undefined, null, {}, 7]) expectCode(() => perf[op]!.call(m.perf, bad), 'EBADF');
    }
    const [ev] = m.open('nvidia_scf_pmu_0/cycles/');
    await m.perf.close(ev!);
    expectCode(() => m.perf.close(ev!), 'EBADF', 'already closed');
    expectCode(() => m.perf.read(ev!), 'EBADF', 'is closed');
    expect(m.perf.liveEvents()).to.have.length(0);
  });

  it('MMIO: a number for writeq, a BigInt or a throwing valueOf for writel are EINVAL and touch nothing', () => {
    const base = m.platform.pmus[0]!.base0;
    const io = m.mmio.ioremap(base, 0x1000, 'hardening');
    const before = [...m.hardware.device(m.platform.pmus[0]!.label).page0.state];
    expectCode(() => io.writeq(5 as never, 0), 'EINVAL', 'writeq: the value must be a bigint, got 5');
    expectCode(
      () =>
        io.writel(
          {
            valueOf: () => {
              throw new Error('v');
            },
          } as never,
          0x400,
        ),
      'EINVAL',
      'writel: the value must be an integer number, got an object',
    );
    expectCode(() => io.writel(5n as never, 0x400), 'EINVAL', 'got 5n');
    expectCode(() => io.writel(1.5, 0x400), 'EINVAL');
    expectCode(() => io.writeb('1' as never, 0x400), 'EINVAL', "writeb: the value must be an integer number, got '1'");
    expectCode(() => io.writew(null as never, 0x400), 'EINVAL', 'writew: the value must be an integer number, got null');
    expectCode(() => io.writeqParts(1, undefined as never, 0), 'EINVAL');
    expect([...m.hardware.device(m.platform.pmus[0]!.label).page0.state]).to.deep.equal(before);
    m.mmio.iounmap(io);
  });

  it('kernel: timers, devices and module calls refuse bad arguments', async () => {
    expectCode(() => m.kernel.clock.at(5, null as never), 'EINVAL', 'a timer needs a callback function');
    expect((await rejects(m.bus.addDevice(null as never, 1, []))).code).to.equal('EINVAL');
    expect((await rejects(m.bus.addDevice('x', 1, null as never))).code).to.equal('EINVAL');
    expect((await rejects(m.load(null as never))).code).to.equal('EINVAL');
    expect((await rejects(m.unload(null as never))).code).to.equal('EINVAL');
    expect((await rejects(Machine.boot({ platform: 'grace', paranoid: '1' as never }))).code).to.equal('EINVAL');
  });

  it('perf_event_paranoid takes any C int, as proc_dointvec: a write outside is EINVAL and changes nothing', async () => {
    const before = m.perf.paranoid;
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 1e20, 1.5, Number.NaN, '1' as never, null as never]) {
      expectCode(() => {
        m.perf.paranoid = bad;
      }, 'EINVAL');
      expect(m.perf.paranoid).to.equal(before);
    }
    for (const ok of [2 ** 31 - 1, -(2 ** 31), -1, 4]) {
      m.perf.paranoid = ok;
      expect(m.perf.paranoid).to.equal(ok);
    }
    m.perf.paranoid = before;
    expect((await rejects(Machine.boot({ platform: 'grace', paranoid: 2 ** 31 }))).code).to.equal('EINVAL');
  });

  it('perf_event_mux_interval_ms takes what kstrtoint takes: 99999999999999999999 is ERANGE and later opens still work', async () => {
    const path = '/bus/event_source/devices/nvidia_scf_pmu_0/perf_event_mux_interval_ms';
    expectCode(() => m.kernel.sysfs.write(path, '99999999999999999999'), 'ERANGE');
    expectCode(() => m.kernel.sysfs.write(path, '2147483648'), 'ERANGE');
    expectCode(() => m.kernel.sysfs.write(path, '0'), 'EINVAL');
    expectCode(() => m.kernel.sysfs.write(path, '-4'), 'EINVAL');
    expectCode(() => m.kernel.sysfs.write(path, '4ms'), 'EINVAL');
    m.kernel.sysfs.write(path, '0x10\n');
    expect(m.kernel.sysfs.read(path)).to.equal('16\n');
    m.kernel.sysfs.write(path, '2147483647');
    const pmu = m.perf.pmuByName('nvidia_scf_pmu_0')!;
    expectCode(() => m.perf.setMuxInterval(pmu, 1e20), 'EINVAL', 'from 1 to 2147483647');
    const evs = m.open('{nvidia_scf_pmu_0/cycles/},{nvidia_scf_pmu_0/cmem_rd_data/}');
    m.advance(1000);
    for (const e of evs) expect(m.perf.read(e).value).to.be.a('number');
    for (const e of evs) await m.perf.close(e);
    m.kernel.sysfs.write(path, '4');
    expect(kstrtoint('010', 'x')).to.equal(8);
    expect(kstrtoint('-2147483648', 'x')).to.equal(-2147483648);
  });

  it("an error printed means a non-zero exit: -C '' is refused", function () {
    this.timeout(30000);
    expect(oneLineError(cspmu(['stat', '-C', '', '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', '1ms']))).to.contain("-C '': no CPUs given");
    // A counter that cannot be opened is <not supported>, as perf prints it: no error line, so exit 0 (perf's too).
    // (task-clock keeps the command per task: with uncore events alone perf, and cspmu, count system-wide.)
    const perTask = cspmu(['stat', '-e', 'nvidia_scf_pmu_0/cycles/,task-clock', '--', 'true']);
    expect(perTask.stderr).to.contain('<not supported>      nvidia_scf_pmu_0/cycles/').and.not.contain('cspmu:');
    expect(perTask.status).to.equal(0);
  });

  it('two removals of one device at once: the second is ENODEV and the device is put once (the fuzzer found a refcount underflow)', async () => {
    const g = await Machine.boot({ platform: 'arm-generic', installed: [] });
    const dev = g.bus.device('arm-cs-arch-pmu.2')!;
    const [first, second] = await Promise.allSettled([g.bus.removeDevice(dev), g.bus.removeDevice(dev)]);
    expect(first.status).to.equal('fulfilled');
    expect(second.status === 'rejected' && (second.reason as KernelError).code).to.equal('ENODEV');
    expect(g.kernel.log.atLeast('warn').filter((r) => r.subsystem === 'refcount')).to.deep.equal([]);
    expect(g.bus.device('arm-cs-arch-pmu.2')).to.equal(undefined);
  });

  it('KernelError is what every refusal above is', () => {
    expect(expectCode(() => m.perf.read(null as never), 'EBADF')).to.be.instanceOf(KernelError);
  });
});
